import {
  ClosedError,
  ConfigError,
  TopicNotFoundError,
  type BrowsedRecord,
  type GroupLag,
  type ReadOptions,
  type TopicInfo,
  type TransportAdmin,
} from '@partita/core';
import type { MemoryBroker } from '../broker/memory-broker.js';
import { browsePartition } from '../log/browse-partition.js';
import type { Partition } from '../log/partition.js';
import type { Topic } from '../log/topic.js';

const DEFAULT_LIMIT = 100;

/**
 * The memory broker's {@link TransportAdmin} (`transport.admin` of
 * `memoryTransport`). Positions are offsets. `read` browses the log without
 * delivery side effects: no group moves, staged (delayed, prioritised)
 * records stay staged and are not returned, expired ones are skipped.
 * `purge` removes a whole topic (log and staged records) or single records
 * by `<partition>:<offset>` on any topic; in durable mode (`dataDir`) it
 * throws, since the segment log cannot delete records yet.
 */
export class MemoryAdmin implements TransportAdmin {
  constructor(
    private readonly broker: MemoryBroker,
    private readonly assertOpen: () => void = () => {
      if (broker.isClosed) throw new ClosedError('the memory broker is closed');
    },
  ) {}

  topics(): Promise<readonly TopicInfo[]> {
    return this.run(() => {
      this.broker.retainAll();
      return [...this.broker.topicMap.values()].map((t) => ({
        name: t.name,
        partitions: t.partitions.length,
        depth: t.partitions.reduce((n, p) => n + p.liveCount + p.readyCount + p.delayedCount, 0),
      }));
    });
  }

  lag(group?: string): Promise<readonly GroupLag[]> {
    return this.run(() => {
      this.broker.retainAll();
      const rows: GroupLag[] = [];
      for (const [g, topic, table] of this.broker.coordinator.entries()) {
        if (group !== undefined && g !== group) continue;
        const t = this.broker.topicMap.get(topic);
        if (!t) continue;
        for (const p of t.partitions) {
          const c = table[p.index]?.offset;
          const from = Math.max(c ?? p.base, p.base);
          rows.push({
            group: g,
            topic,
            partition: p.index,
            ...(c !== undefined ? { committed: String(c) } : {}),
            end: String(p.end),
            lag: Math.max(0, p.end - from - p.purgedFrom(from)) + p.readyCount + p.delayedCount,
          });
        }
      }
      return rows;
    });
  }

  read(topic: string, options: ReadOptions = {}): Promise<readonly BrowsedRecord[]> {
    return this.run(() => {
      const t = this.existing(topic);
      const limit = options.limit ?? DEFAULT_LIMIT;
      if (!Number.isInteger(limit) || limit < 0)
        throw new ConfigError(`read("${topic}"): option "limit" must be a non-negative integer (got ${String(limit)})`);
      const parts = options.partition === undefined ? t.partitions : [this.partition(t, options.partition, 'read')];
      const from = options.from ?? 'earliest';
      if (from !== 'earliest' && from !== 'latest' && !/^\d+$/.test(from))
        throw new ConfigError(
          `read("${topic}"): option "from" must be "earliest", "latest" or an offset (got ${JSON.stringify(from)})`,
        );
      this.broker.retainAll();
      const out: BrowsedRecord[] = [];
      for (const p of parts) {
        const start = from === 'earliest' ? p.base : from === 'latest' ? p.end : Number(from);
        for (const r of browsePartition(p, this.broker.options.clock, start, limit).records)
          out.push({
            topic,
            partition: p.index,
            position: r.offset,
            key: r.key,
            value: r.value,
            headers: r.headers,
            timestamp: r.timestamp,
          });
      }
      if (parts.length > 1)
        out.sort(
          (a, b) => a.timestamp - b.timestamp || a.partition - b.partition || Number(a.position) - Number(b.position),
        );
      return out.slice(0, limit);
    });
  }

  purge(topic: string, positions?: readonly string[]): Promise<{ readonly removed: number }> {
    return this.run(() => {
      const t = this.existing(topic);
      if (this.broker.durable)
        throw new ConfigError(
          `purge("${topic}"): the durable memory broker (dataDir) cannot delete records yet; let retention remove them, or run the broker without dataDir`,
        );
      if (positions === undefined) {
        let removed = 0;
        for (const p of t.partitions) removed += p.purgeAll();
        return { removed };
      }
      const byPartition = new Map<Partition, number[]>();
      for (const id of positions) {
        const m = typeof id === 'string' ? /^(\d+):(\d+)$/.exec(id) : null;
        if (!m)
          throw new ConfigError(
            `purge("${topic}"): position ${JSON.stringify(id)} is not "<partition>:<offset>" (as read() gives it)`,
          );
        const p = this.partition(t, Number(m[1]), 'purge');
        let list = byPartition.get(p);
        if (!list) byPartition.set(p, (list = []));
        list.push(Number(m[2]));
      }
      let removed = 0;
      for (const [p, offsets] of byPartition) {
        const gone = p.purgeOffsets(offsets);
        this.broker.deadLetterStore.forgetOffsets(topic, p.index, gone);
        removed += gone.length;
      }
      return { removed };
    });
  }

  /** Run synchronously, turning a throw into a rejection. */
  private run<T>(fn: () => T): Promise<T> {
    try {
      this.assertOpen();
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private existing(topic: string): Topic {
    const t = this.broker.topicMap.get(topic);
    if (!t) throw new TopicNotFoundError(topic);
    return t;
  }

  private partition(t: Topic, index: number, op: string): Partition {
    const p = Number.isInteger(index) ? t.partitions[index] : undefined;
    if (!p)
      throw new ConfigError(
        `${op}("${t.name}"): partition must be an integer in [0, ${t.partitions.length - 1}] (got ${String(index)})`,
      );
    return p;
  }
}
