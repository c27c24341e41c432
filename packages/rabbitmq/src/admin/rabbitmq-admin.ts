import type { ConsumeMessage } from 'amqplib';
import {
  ConfigError,
  TopicNotFoundError,
  type BrowsedRecord,
  type GroupLag,
  type ReadOptions,
  type TopicInfo,
  type TransportAdmin,
} from '@partita/core';
import type { RabbitConnection } from '../connection/rabbit-connection.js';
import { mapAmqpError } from '../errors/rabbitmq-errors.js';
import { fromAmqp } from '../headers/amqp-record.js';
import type { Topology } from '../topology/topology.js';
import { browseQueue, positionOf } from './queue-browser.js';
import type { KnownTopology, TopologyRegistry } from './topology-registry.js';

/** What the admin needs of the transport. */
export interface RabbitAdminDeps {
  /** The connection, topology and registry (connecting first; throws `ClosedError` once closed). */
  connected(): Promise<{ conn: RabbitConnection; topology: Topology; registry: TopologyRegistry }>;
  readonly dlqSuffix: string;
  /** Topics and groups this transport published to or subscribed. */
  local(): KnownTopology;
  /** Records this transport holds unacknowledged on a group's partition queue. */
  unsettled(topic: string, group: string, partition: number): number;
}

const DEFAULT_LIMIT = 100;
/** Most messages one read or selective purge takes from a queue (a position is searched for among them). */
const SCAN_CAP = 1000;

type Connected = Awaited<ReturnType<RabbitAdminDeps['connected']>>;

/** The queues `read` and `purge` work on for one topic, per partition. */
interface Target {
  /** Queues by partition (one for a dead-letter topic or a topic without groups). */
  readonly queues: readonly string[];
  /** Every queue a purge of the whole topic empties. */
  readonly all: readonly string[];
}

/**
 * The RabbitMQ connector's `TransportAdmin` (`transport.admin`). Topics and
 * groups come from the topology registry (see `TopologyRegistry`) and from
 * this transport; counts from passive declares (`messageCount`: ready
 * messages). A dead-letter topic is its dead-letter queue (partition 0); a
 * work topic is its group's partition queues (a copy per group: with several
 * groups only the whole-topic purge applies). Positions are message ids.
 */
export class RabbitAdmin implements TransportAdmin {
  constructor(private readonly d: RabbitAdminDeps) {}

  async topics(): Promise<readonly TopicInfo[]> {
    const c = await this.d.connected();
    const known = await this.known(c);
    const out: TopicInfo[] = [];
    for (const [topic, groups] of known) {
      const dlq = await this.deadLetterQueue(c, topic);
      if (dlq !== undefined) {
        out.push({ name: topic, partitions: 1, depth: (await this.count(c, dlq)) ?? 0 });
        continue;
      }
      const n = c.topology.partitionsOf(topic);
      let depth = (await this.count(c, c.topology.unroutedFor(topic))) ?? 0;
      for (const g of groups)
        for (let p = 0; p < n; p++) depth += (await this.count(c, c.topology.queueFor(topic, g, p))) ?? 0;
      out.push({ name: topic, partitions: n, depth });
    }
    return out;
  }

  async lag(group?: string): Promise<readonly GroupLag[]> {
    const c = await this.d.connected();
    const rows: GroupLag[] = [];
    for (const [topic, groups] of await this.known(c))
      for (const g of groups) {
        if (group !== undefined && g !== group) continue;
        for (let p = 0; p < c.topology.partitionsOf(topic); p++) {
          const ready = await this.count(c, c.topology.queueFor(topic, g, p));
          if (ready !== undefined)
            rows.push({ group: g, topic, partition: p, lag: ready + this.d.unsettled(topic, g, p) });
        }
      }
    return rows;
  }

  async read(topic: string, options: ReadOptions = {}): Promise<readonly BrowsedRecord[]> {
    const limit = options.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 0)
      throw new ConfigError(`read("${topic}"): option "limit" must be a non-negative integer (got ${String(limit)})`);
    const from = options.from ?? 'earliest';
    if (typeof from !== 'string' || from === '')
      throw new ConfigError(`read("${topic}"): option "from" must be "earliest", "latest" or a message id`);
    const c = await this.d.connected();
    const t = await this.target(c, topic);
    const parts = this.partitions(topic, t, options.partition, 'read');
    if (from === 'latest' || limit === 0) return [];
    const out: BrowsedRecord[] = [];
    for (const p of parts) {
      const start = (ms: readonly ConsumeMessage[]): number =>
        from === 'earliest' ? 0 : ms.findIndex((m) => positionOf(m) === from);
      const { messages } = await this.browse(c, topic, {
        queue: t.queues[p]!,
        max: from === 'earliest' ? Math.min(limit, SCAN_CAP) : SCAN_CAP,
        enough: (ms) => from !== 'earliest' && start(ms) >= 0 && ms.length - start(ms) >= limit,
      });
      const at = start(messages);
      if (at < 0) continue;
      for (const m of messages.slice(at, at + limit)) {
        const r = fromAmqp(m, positionOf(m));
        out.push({
          topic,
          partition: p,
          position: r.offset,
          key: r.key,
          value: r.value,
          headers: r.headers,
          timestamp: r.timestamp,
        });
      }
    }
    if (parts.length > 1) out.sort((a, b) => a.timestamp - b.timestamp); // stable: partition order within a second
    return out.slice(0, limit);
  }

  async purge(topic: string, positions?: readonly string[]): Promise<{ readonly removed: number }> {
    const c = await this.d.connected();
    const t = await this.target(c, topic);
    if (positions === undefined) {
      const counted = new Set(t.queues);
      let removed = 0;
      for (const q of t.all) {
        const n = await c.conn
          .withChannel(async (ch) => (await ch.purgeQueue(q)).messageCount)
          .catch((err: unknown) => {
            throw mapAmqpError(err, `purge queue "${q}"`, topic);
          });
        if (counted.has(q)) removed += n;
      }
      return { removed };
    }
    const byPartition = new Map<number, Set<string>>();
    for (const id of positions) {
      const m = typeof id === 'string' ? /^(\d+):(.+)$/.exec(id) : null;
      if (!m)
        throw new ConfigError(
          `purge("${topic}"): position ${JSON.stringify(id)} is not "<partition>:<message id>" (as read() gives it)`,
        );
      const p = this.partitions(topic, t, Number(m[1]), 'purge')[0]!;
      byPartition.set(p, (byPartition.get(p) ?? new Set()).add(m[2]!));
    }
    let removed = 0;
    for (const [p, ids] of byPartition)
      removed += (
        await this.browse(c, topic, { queue: t.queues[p]!, max: SCAN_CAP, remove: (m) => ids.has(positionOf(m)) })
      ).removed;
    return { removed };
  }

  /** Registry entries and this transport's own topics and groups, merged. */
  private async known(c: Connected): Promise<KnownTopology> {
    const known = await c.registry.read().catch(() => new Map<string, Set<string>>());
    for (const [topic, groups] of this.d.local()) {
      const k = known.get(topic) ?? new Set<string>();
      for (const g of groups) k.add(g);
      known.set(topic, k);
    }
    return new Map([...known].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** The dead-letter queue when `topic` is a dead-letter topic whose queue exists. */
  private async deadLetterQueue(c: Connected, topic: string): Promise<string | undefined> {
    if (!topic.endsWith(this.d.dlqSuffix) || topic === this.d.dlqSuffix) return undefined;
    const q = c.topology.deadLetterQueueFor(topic.slice(0, -this.d.dlqSuffix.length));
    return (await this.count(c, q)) === undefined ? undefined : q;
  }

  private async target(c: Connected, topic: string): Promise<Target> {
    const dlq = await this.deadLetterQueue(c, topic);
    if (dlq !== undefined) return { queues: [dlq], all: [dlq] };
    const unrouted = c.topology.unroutedFor(topic);
    const groups = [...((await this.known(c)).get(topic) ?? [])];
    const n = c.topology.partitionsOf(topic);
    const of = (g: string): string[] => Array.from({ length: n }, (_, p) => c.topology.queueFor(topic, g, p));
    const all = [unrouted, ...groups.flatMap(of)];
    if (groups.length === 0) {
      if ((await this.count(c, unrouted)) === undefined) throw new TopicNotFoundError(topic);
      return { queues: [unrouted], all };
    }
    if (groups.length === 1) return { queues: of(groups[0]!), all };
    return { queues: [], all };
  }

  private partitions(topic: string, t: Target, partition: number | undefined, op: string): number[] {
    if (t.queues.length === 0)
      throw new ConfigError(
        `${op}("${topic}"): RabbitMQ keeps a copy of the topic per group; browse or purge single records of its dead-letter topic, or of a topic with one group (purge(topic) without positions empties every group's queues)`,
      );
    if (partition === undefined) return t.queues.map((_, p) => p);
    if (!Number.isInteger(partition) || partition < 0 || partition >= t.queues.length)
      throw new ConfigError(
        `${op}("${topic}"): partition must be an integer in [0, ${t.queues.length - 1}] (got ${String(partition)})`,
      );
    return [partition];
  }

  private async browse(c: Connected, topic: string, r: Parameters<typeof browseQueue>[1]) {
    try {
      return await browseQueue(c.conn, r);
    } catch (err) {
      throw mapAmqpError(err, `browse queue "${r.queue}"`, topic);
    }
  }

  /** Ready messages of a queue; undefined when it does not exist. */
  private async count(c: Connected, queue: string): Promise<number | undefined> {
    try {
      return await c.conn.withChannel(async (ch) => (await ch.checkQueue(queue)).messageCount);
    } catch (err) {
      if ((err as { code?: number })?.code === 404) return undefined;
      throw mapAmqpError(err, `queue "${queue}"`);
    }
  }
}
