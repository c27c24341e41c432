import {
  GetQueueAttributesCommand,
  ListQueueTagsCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  type Message as SqsMessage,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  ConfigError,
  TopicNotFoundError,
  type BrowsedRecord,
  type GroupLag,
  type ReadOptions,
  type TopicInfo,
  type TransportAdmin,
} from '@partita/core';
import { fromSqsMessage } from '../envelope/sqs-envelope.js';
import { mapSqsError } from '../errors/map-sqs-error.js';
import { GROUP_TAG, TOPIC_TAG, type QueueRef } from '../queues/queue-directory.js';
import { ARCHIVE_GROUP, decodeName, parseQueueName, queueNameFor, topicQueuePrefix } from '../queues/queue-names.js';
import { browseQueue } from './queue-browser.js';

/** What the admin needs of the transport. */
export interface SqsAdminDeps {
  readonly client: SQSClient;
  readonly prefix: string;
  readonly dlqSuffix: string;
  readonly secrets: readonly string[];
  /** Throws `ClosedError` once the transport is closed. */
  assertOpen(what: string): void;
}

const DEFAULT_LIMIT = 100;
/** Most messages one read or selective purge looks at (a position is searched for among them). */
const SCAN_CAP = 1000;

/** A group queue: its group's name (from the queue name, else its tag, else the encoded, hashed part). */
interface GroupQueue extends QueueRef {
  group: string;
  /** Whether `group` is the real name (else the hashed part of the queue name). */
  named: boolean;
}

interface TopicQueues {
  archive: QueueRef | undefined;
  /** By the group part of the queue name. */
  readonly groups: Map<string, GroupQueue>;
}

/**
 * The SQS connector's `TransportAdmin` (`transport.admin`). Topics and groups
 * are read from the queue names under `queuePrefix` (`ListQueues`; names
 * shortened to a hash are left out). A dead-letter topic is read from its
 * archive queue (every dead letter); a work topic from its group's queue (SQS
 * keeps a copy per group; with several groups, read the dead-letter topic or
 * purge the whole topic). Positions are SQS message ids; one partition (0).
 */
export class SqsAdmin implements TransportAdmin {
  constructor(private readonly d: SqsAdminDeps) {}

  async topics(): Promise<readonly TopicInfo[]> {
    this.d.assertOpen('admin.topics');
    const out: TopicInfo[] = [];
    for (const [name, q] of await this.listAll()) {
      const depth = q.archive
        ? await this.count(q.archive, name)
        : (await Promise.all([...q.groups.values()].map((g) => this.count(g, name)))).reduce((a, b) => a + b, 0);
      out.push({ name, partitions: 1, depth });
    }
    return out;
  }

  async lag(group?: string): Promise<readonly GroupLag[]> {
    this.d.assertOpen('admin.lag');
    const rows: GroupLag[] = [];
    for (const [topic, q] of await this.listAll())
      for (const ref of q.groups.values()) {
        // a group name too long for a queue name is known only by its hash: match the name it would get
        const named = group !== undefined && queueNameFor(this.d.prefix, topic, group, ref.fifo) === ref.name;
        if (group === undefined || named)
          rows.push({ group: group ?? ref.group, topic, partition: 0, lag: await this.count(ref, topic) });
      }
    return rows;
  }

  async read(topic: string, options: ReadOptions = {}): Promise<readonly BrowsedRecord[]> {
    this.d.assertOpen('admin.read');
    const limit = options.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 0)
      throw new ConfigError(`read("${topic}"): option "limit" must be a non-negative integer (got ${String(limit)})`);
    const from = options.from ?? 'earliest';
    if (typeof from !== 'string' || from === '')
      throw new ConfigError(`read("${topic}"): option "from" must be "earliest", "latest" or a message id`);
    this.partition0(topic, options.partition, 'read');
    const q = await this.readable(topic);
    if (from === 'latest' || limit === 0) return [];
    const start = (ms: readonly SqsMessage[]): number =>
      from === 'earliest' ? 0 : ms.findIndex((m) => m.MessageId === from);
    const { messages } = await browseQueue({
      client: this.d.client,
      url: q.url,
      name: q.name,
      secrets: this.d.secrets,
      max: from === 'earliest' ? Math.min(limit, SCAN_CAP) : SCAN_CAP,
      enough: (ms) => from !== 'earliest' && start(ms) >= 0 && ms.length - start(ms) >= limit,
    });
    const at = start(messages);
    if (at < 0) return [];
    return messages.slice(at, at + limit).map((m) => {
      const r = fromSqsMessage(m);
      return {
        topic,
        partition: 0,
        position: r.offset,
        key: r.key,
        value: r.value,
        headers: r.headers,
        timestamp: r.timestamp,
      };
    });
  }

  async purge(topic: string, positions?: readonly string[]): Promise<{ readonly removed: number }> {
    this.d.assertOpen('admin.purge');
    const all = await this.queuesOf(topic);
    if (positions !== undefined) {
      const ids = new Set<string>();
      for (const id of positions) {
        const m = typeof id === 'string' ? /^(\d+):(.+)$/.exec(id) : null;
        if (!m)
          throw new ConfigError(
            `purge("${topic}"): position ${JSON.stringify(id)} is not "<partition>:<message id>" (as read() gives it)`,
          );
        this.partition0(topic, Number(m[1]), 'purge');
        ids.add(m[2]!);
      }
      const q = this.pick(topic, all);
      const { removed } = await browseQueue({
        client: this.d.client,
        url: q.url,
        name: q.name,
        secrets: this.d.secrets,
        max: SCAN_CAP,
        remove: (msg) => ids.has(msg.MessageId ?? ''),
      });
      return { removed };
    }
    const counted = this.pick(topic, all, true);
    const removed = await this.count(counted, topic);
    for (const q of [...(all.archive ? [all.archive] : []), ...all.groups.values()]) {
      try {
        await this.d.client.send(new PurgeQueueCommand({ QueueUrl: q.url }));
      } catch (err) {
        throw mapSqsError(err, `purge queue "${q.name}"`, this.d.secrets, topic);
      }
    }
    return { removed };
  }

  /**
   * Every topic under the prefix with its archive and group queues. A name
   * shortened to a hash in the queue name is read from the queue's tags
   * (`partita-topic`, `partita-group`); a topic part without tags is named
   * when it is the dead-letter topic of a topic listed whole, else left out.
   */
  private async listAll(): Promise<Map<string, TopicQueues>> {
    const byPart = await this.list(this.d.prefix);
    const out = new Map<string, TopicQueues>();
    for (const [part, q] of byPart) {
      let name = decodeName(part);
      for (const g of q.groups.values()) {
        const tagged = g.named ? undefined : (await this.tags(g))[GROUP_TAG];
        if (tagged !== undefined) [g.group, g.named] = [tagged, true];
      }
      const any = q.archive ?? q.groups.values().next().value;
      if (name === undefined && any) name = (await this.tags(any))[TOPIC_TAG];
      if (name !== undefined) out.set(name, q);
    }
    for (const name of [...out.keys()]) {
      const dlq = `${name}${this.d.dlqSuffix}`;
      const part = topicQueuePrefix(this.d.prefix, dlq).slice(this.d.prefix.length, -2);
      const q = byPart.get(part);
      if (q && !out.has(dlq)) out.set(dlq, q);
    }
    return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** The queues of one topic; `TopicNotFoundError` when it has none. */
  private async queuesOf(topic: string): Promise<TopicQueues> {
    const head = topicQueuePrefix(this.d.prefix, topic);
    const found = (await this.list(head)).get(head.slice(this.d.prefix.length, -2));
    if (!found) throw new TopicNotFoundError(topic);
    return found;
  }

  private async readable(topic: string): Promise<QueueRef> {
    return this.pick(topic, await this.queuesOf(topic));
  }

  /** The queue `read` browses: the archive of a dead-letter topic, else the only group's queue. */
  private pick(topic: string, q: TopicQueues, forCount = false): QueueRef {
    if (q.archive) return q.archive;
    const groups = [...q.groups.values()];
    if (groups.length === 1 || (forCount && groups.length > 0)) return groups[0]!;
    throw new ConfigError(
      `SQS keeps a copy of "${topic}" per group (${groups.map((g) => g.group).join(', ')}): browse or purge single records of its dead-letter topic, or of a topic with one group; purge(topic) without positions empties every group's queue`,
    );
  }

  private partition0(topic: string, partition: number | undefined, op: string): void {
    if (partition !== undefined && partition !== 0)
      throw new ConfigError(`${op}("${topic}"): SQS topics have one partition, 0 (got ${String(partition)})`);
  }

  /** Queues whose name starts with `namePrefix`, by encoded topic part. */
  private async list(namePrefix: string): Promise<Map<string, TopicQueues>> {
    const out = new Map<string, TopicQueues>();
    let next: string | undefined;
    try {
      do {
        const res = await this.d.client.send(
          new ListQueuesCommand({
            ...(namePrefix !== '' ? { QueueNamePrefix: namePrefix } : {}),
            MaxResults: 1000,
            ...(next ? { NextToken: next } : {}),
          }),
        );
        for (const url of res.QueueUrls ?? []) {
          const name = url.slice(url.lastIndexOf('/') + 1);
          const parsed = parseQueueName(this.d.prefix, name);
          if (!parsed) continue;
          let t = out.get(parsed.topicPart);
          if (!t) out.set(parsed.topicPart, (t = { archive: undefined, groups: new Map() }));
          const ref = { name, url, fifo: parsed.fifo };
          if (parsed.groupPart === ARCHIVE_GROUP) t.archive = ref;
          else {
            const group = decodeName(parsed.groupPart);
            t.groups.set(parsed.groupPart, { ...ref, group: group ?? parsed.groupPart, named: group !== undefined });
          }
        }
        next = res.NextToken;
      } while (next);
    } catch (err) {
      throw mapSqsError(err, 'list queues', this.d.secrets);
    }
    return out;
  }

  private async tags(q: QueueRef): Promise<Record<string, string>> {
    try {
      return (await this.d.client.send(new ListQueueTagsCommand({ QueueUrl: q.url }))).Tags ?? {};
    } catch (err) {
      throw mapSqsError(err, `read the tags of queue "${q.name}"`, this.d.secrets);
    }
  }

  /** Messages a queue holds: visible, in flight and delayed (SQS's approximate counts). */
  private async count(q: QueueRef, topic: string): Promise<number> {
    try {
      const res = await this.d.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: q.url,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ],
        }),
      );
      const a = res.Attributes ?? {};
      return (
        Number(a.ApproximateNumberOfMessages ?? 0) +
        Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
        Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
      );
    } catch (err) {
      throw mapSqsError(err, `count the messages of queue "${q.name}"`, this.d.secrets, topic);
    }
  }
}
