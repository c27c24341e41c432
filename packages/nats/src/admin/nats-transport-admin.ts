import type { JetStreamManager, StoredMsg } from '@nats-io/jetstream';
import {
  ConfigError,
  TopicNotFoundError,
  type BrowsedRecord,
  type GroupLag,
  type ReadOptions,
  type TopicInfo,
  type TransportAdmin,
} from '@partita/core';
import { groupOf } from '../consumer/durable-consumer.js';
import { handbackStreamName } from '../consumer/handback-ledger.js';
import { mapNatsError } from '../errors/map-nats-error.js';
import { fromNatsHeaders } from '../headers/record-headers.js';

/**
 * NATS JetStream's {@link TransportAdmin}. A topic is a subject (a topic's
 * stream also captures its dead-letter subject, listed as a topic of its
 * own); there is one partition, `0`, and a record's position is its stream
 * sequence.
 * - `topics`: the concrete subjects of every stream (wildcard subjects are
 *   listed by the subjects that hold messages), depth = messages stored for
 *   the subject, ends = the stream's last sequence + 1. Subjects starting with `$` (KV, object store) and the
 *   hand-back ledger stream are left out.
 * - `lag`: every durable consumer (one per group and topic): `num_pending +
 *   num_ack_pending`; the group is the one recorded in the consumer's
 *   description, else its durable name.
 * - `read`: stream message gets by subject from a sequence (`next_by_subj`),
 *   one request per record: no consumer is created, no delivery state moves.
 *   `from: 'latest'` is the end (nothing yet); `topics()` gives the end as
 *   a sequence (`ends`) to follow from.
 * - `purge`: a subject purge of the topic's stream (other subjects stay), or
 *   single records by sequence (each checked to belong to the topic).
 * Core NATS mode stores nothing: every method throws a `ConfigError`.
 */
export class NatsTransportAdmin implements TransportAdmin {
  constructor(
    private readonly manager: () => Promise<JetStreamManager | undefined>,
    private readonly streamPrefix: string,
  ) {}

  async topics(): Promise<readonly TopicInfo[]> {
    const jsm = await this.jsm('topics');
    const depth = new Map<string, number>();
    const ends = new Map<string, string>();
    try {
      for await (const s of jsm.streams.list()) {
        if (s.config.name === handbackStreamName(this.streamPrefix)) continue;
        const info = await jsm.streams.info(s.config.name, { subjects_filter: '>' });
        const end = String(info.state.last_seq + 1);
        for (const subject of s.config.subjects ?? [])
          if (!/[*>]/.test(subject) && !subject.startsWith('$')) depth.set(subject, depth.get(subject) ?? 0);
        for (const [subject, n] of Object.entries(info.state.subjects ?? {}))
          if (!subject.startsWith('$')) depth.set(subject, n);
        for (const subject of depth.keys()) if (!ends.has(subject)) ends.set(subject, end);
      }
    } catch (err) {
      throw mapNatsError(err, 'list streams');
    }
    return [...depth.keys()]
      .sort()
      .map((name) => ({ name, partitions: 1, depth: depth.get(name)!, ends: [ends.get(name)!] }));
  }

  async lag(group?: string): Promise<readonly GroupLag[]> {
    const jsm = await this.jsm('lag');
    const out: GroupLag[] = [];
    try {
      for await (const s of jsm.streams.list()) {
        if (s.config.name === handbackStreamName(this.streamPrefix)) continue;
        const subjects = s.config.subjects ?? [];
        for await (const c of jsm.consumers.list(s.config.name)) {
          if (!c.config.durable_name) continue; // ephemeral: ordered consumers, not a group
          const g = groupOf(c.config.description) ?? c.config.durable_name;
          if (group !== undefined && g !== group) continue;
          const topic = c.config.filter_subject || c.config.filter_subjects?.join(',') || subjects.join(',');
          out.push({ group: g, topic, partition: 0, lag: c.num_pending + c.num_ack_pending });
        }
      }
    } catch (err) {
      throw mapNatsError(err, 'list consumers');
    }
    return out.sort((a, b) => a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic));
  }

  async read(topic: string, options: ReadOptions = {}): Promise<readonly BrowsedRecord[]> {
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1)
      throw new ConfigError(`read: option "limit" must be a positive integer (got ${String(limit)})`);
    if (options.partition !== undefined && options.partition !== 0)
      throw new ConfigError(`read "${topic}": NATS topics have one partition, 0 (got partition ${options.partition})`);
    const from = options.from ?? 'earliest';
    if (from !== 'earliest' && from !== 'latest' && !/^\d+$/.test(from))
      throw new ConfigError(
        `read "${topic}": option "from" must be "earliest", "latest" or a stream sequence (a positive integer), got ${JSON.stringify(from)}`,
      );
    const jsm = await this.jsm(`read "${topic}"`);
    const stream = await this.streamOf(jsm, topic);
    const get = async (query: { seq: number; next_by_subj: string }): Promise<StoredMsg | null> => {
      try {
        // next_by_subj (nats-server 2.9+) is sent as is; the client's type only lists seq and last_by_subj.
        return await jsm.streams.getMessage(stream, query);
      } catch (err) {
        throw mapNatsError(err, `read "${topic}" from stream "${stream}"`, topic);
      }
    };
    if (from === 'latest') return [];
    const out: BrowsedRecord[] = [];
    let seq = from === 'earliest' ? 1 : Math.max(1, Number(from));
    while (out.length < limit) {
      const m = await get({ seq, next_by_subj: topic });
      if (m === null) break;
      out.push(browsed(topic, m));
      seq = m.seq + 1;
    }
    return out;
  }

  async purge(topic: string, positions?: readonly string[]): Promise<{ readonly removed: number }> {
    const jsm = await this.jsm(`purge "${topic}"`);
    const stream = await this.streamOf(jsm, topic);
    if (positions === undefined) {
      try {
        return { removed: (await jsm.streams.purge(stream, { filter: topic })).purged };
      } catch (err) {
        throw mapNatsError(err, `purge "${topic}" in stream "${stream}"`, topic);
      }
    }
    const seqs = positions.map((id) => {
      const m = /^0:(\d+)$/.exec(id);
      if (!m)
        throw new ConfigError(
          `purge "${topic}": ${JSON.stringify(id)} is not a record id; expected 0:<stream sequence> (NATS topics have one partition, 0)`,
        );
      return Number(m[1]);
    });
    let removed = 0;
    for (const seq of new Set(seqs)) {
      try {
        const m = await jsm.streams.getMessage(stream, { seq }).catch((err: unknown) => {
          if (/no message found/i.test((err as Error).message)) return null;
          throw err;
        });
        if (m === null) continue;
        if (m.subject !== topic)
          throw new ConfigError(
            `purge "${topic}": record 0:${seq} of stream "${stream}" is on subject "${m.subject}", not on topic "${topic}"; nothing was removed for it`,
          );
        if (await jsm.streams.deleteMessage(stream, seq, false)) removed++;
      } catch (err) {
        if (err instanceof ConfigError) throw err;
        throw mapNatsError(err, `delete record 0:${seq} of "${topic}"`, topic);
      }
    }
    return { removed };
  }

  private async jsm(what: string): Promise<JetStreamManager> {
    const jsm = await this.manager();
    if (jsm === undefined)
      throw new ConfigError(
        `${what}: core NATS mode (mode: 'core') stores no messages, so there is nothing to list, read or purge; the admin side needs JetStream mode`,
      );
    return jsm;
  }

  private async streamOf(jsm: JetStreamManager, topic: string): Promise<string> {
    try {
      return await jsm.streams.find(topic);
    } catch (err) {
      if (/no stream matches subject|not found/i.test((err as Error).message))
        throw new TopicNotFoundError(topic, { cause: err });
      throw mapNatsError(err, `find the stream of "${topic}"`, topic);
    }
  }
}

function browsed(topic: string, m: StoredMsg): BrowsedRecord {
  const { headers, key, tombstone } = fromNatsHeaders(m.header);
  return {
    topic,
    partition: 0,
    position: String(m.seq),
    key,
    value: tombstone ? null : m.data,
    headers,
    timestamp: m.time.getTime(),
  };
}
