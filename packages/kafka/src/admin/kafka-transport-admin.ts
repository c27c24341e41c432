import type { Admin, Kafka as KafkaClient } from 'kafkajs';
import {
  ConfigError,
  type BrowsedRecord,
  type GroupLag,
  type ReadOptions,
  type TopicInfo,
  type TransportAdmin,
} from '@partita/core';
import { mapKafkaError } from '../errors/map-kafka-error.js';
import { readLimit, readRanges as rangesOf, type PartitionOffsets } from './read-range.js';
import { READ_GROUP_PREFIX, readRanges } from './topic-reader.js';

/**
 * Kafka's {@link TransportAdmin}, on the kafkajs admin client:
 * - `topics`: every topic but Kafka's internal ones (`__…`), partitions from
 *   the offsets, depth = Σ (high watermark − log start) (records retained),
 *   ends = the high watermarks.
 * - `lag`: every consumer group (or `group`) with committed offsets: per
 *   partition `end − committed` (records below the log start count as gone).
 *   It counts from the committed watermark, so records settled above it
 *   (out of order) still count until the watermark passes them.
 * - `read`: a short-lived consumer in a throwaway group that never commits
 *   (see {@link readRanges}); `from: 'latest'` is the end (nothing yet).
 * - `purge`: `deleteRecords` up to the high watermark read first (records
 *   published meanwhile stay); single records only as a prefix of their
 *   partition (Kafka deletes from a partition's start), else a `ConfigError`.
 */
export class KafkaTransportAdmin implements TransportAdmin {
  constructor(
    /** The transport's kafkajs client, read when needed (it is made on first use). */
    private readonly kafka: () => KafkaClient,
    private readonly admin: () => Promise<Admin>,
    private readonly readTimeoutMs = 30_000,
  ) {}

  async topics(): Promise<readonly TopicInfo[]> {
    const admin = await this.admin();
    let names: string[];
    try {
      names = (await admin.listTopics()).filter((t) => !t.startsWith('__')).sort();
    } catch (err) {
      throw mapKafkaError(err, 'listTopics');
    }
    return Promise.all(
      names.map(async (name) => {
        const offsets = await this.offsets(admin, name);
        const depth = offsets.reduce((n, o) => n + Number(BigInt(o.high) - BigInt(o.low)), 0);
        const ends = [...offsets].sort((a, b) => a.partition - b.partition).map((o) => o.high);
        return { name, partitions: offsets.length, depth, ends };
      }),
    );
  }

  async lag(group?: string): Promise<readonly GroupLag[]> {
    const admin = await this.admin();
    let groups: string[];
    if (group !== undefined) groups = [group];
    else {
      try {
        groups = (await admin.listGroups()).groups
          .filter((g) => g.protocolType === 'consumer' && !g.groupId.startsWith(READ_GROUP_PREFIX))
          .map((g) => g.groupId)
          .sort();
      } catch (err) {
        throw mapKafkaError(err, 'listGroups');
      }
    }
    const ends = new Map<string, Promise<PartitionOffsets[]>>();
    const out: GroupLag[] = [];
    for (const g of groups) {
      let committed: Awaited<ReturnType<Admin['fetchOffsets']>>;
      try {
        committed = await admin.fetchOffsets({ groupId: g });
      } catch (err) {
        throw mapKafkaError(err, `fetchOffsets of group "${g}"`);
      }
      for (const t of [...committed].sort((a, b) => a.topic.localeCompare(b.topic))) {
        let end = ends.get(t.topic);
        if (end === undefined) ends.set(t.topic, (end = this.offsets(admin, t.topic)));
        const byPartition = new Map((await end).map((o) => [o.partition, o]));
        for (const p of [...t.partitions].sort((a, b) => a.partition - b.partition)) {
          if (p.offset === '-1') continue;
          const o = byPartition.get(p.partition);
          if (o === undefined) continue;
          const from = BigInt(p.offset) < BigInt(o.low) ? BigInt(o.low) : BigInt(p.offset);
          const lag = BigInt(o.high) - from;
          out.push({
            group: g,
            topic: t.topic,
            partition: p.partition,
            committed: p.offset,
            end: o.high,
            lag: lag > 0n ? Number(lag) : 0,
          });
        }
      }
    }
    return out;
  }

  async read(topic: string, options: ReadOptions = {}): Promise<readonly BrowsedRecord[]> {
    const limit = readLimit(options);
    const admin = await this.admin();
    const ranges = rangesOf(topic, await this.offsets(admin, topic), options);
    return readRanges(this.kafka(), topic, ranges, limit, this.readTimeoutMs, async (groupId) => {
      await admin.deleteGroups([groupId]);
    });
  }

  async purge(topic: string, positions?: readonly string[]): Promise<{ readonly removed: number }> {
    const admin = await this.admin();
    const offsets = await this.offsets(admin, topic);
    const cut = positions === undefined ? wholeTopic(offsets) : prefixCut(topic, offsets, positions);
    const todo = cut.filter((c) => c.to > c.low);
    if (todo.length > 0) {
      try {
        await admin.deleteTopicRecords({
          topic,
          partitions: todo.map((c) => ({ partition: c.partition, offset: String(c.to) })),
        });
      } catch (err) {
        throw mapKafkaError(err, `deleteRecords of "${topic}"`, topic);
      }
    }
    return { removed: todo.reduce((n, c) => n + Number(c.to - c.low), 0) };
  }

  private async offsets(admin: Admin, topic: string): Promise<PartitionOffsets[]> {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (err) {
      throw mapKafkaError(err, `offsets of "${topic}"`, topic);
    }
  }
}

interface Cut {
  readonly partition: number;
  readonly low: bigint;
  /** Delete records below this offset. */
  readonly to: bigint;
}

function wholeTopic(offsets: readonly PartitionOffsets[]): Cut[] {
  return offsets.map((o) => ({ partition: o.partition, low: BigInt(o.low), to: BigInt(o.high) }));
}

/** Where to cut each partition so exactly `positions` go; they must be a prefix of their partition. */
function prefixCut(topic: string, offsets: readonly PartitionOffsets[], positions: readonly string[]): Cut[] {
  const byPartition = new Map<number, bigint[]>();
  for (const id of positions) {
    const m = /^(\d+):(\d+)$/.exec(id);
    if (!m)
      throw new ConfigError(
        `purge "${topic}": ${JSON.stringify(id)} is not a record id; expected <partition>:<offset> (e.g. 0:42)`,
      );
    const list = byPartition.get(Number(m[1])) ?? [];
    list.push(BigInt(m[2]!));
    byPartition.set(Number(m[1]), list);
  }
  const cuts: Cut[] = [];
  for (const [partition, list] of byPartition) {
    const o = offsets.find((x) => x.partition === partition);
    if (o === undefined)
      throw new ConfigError(
        `purge "${topic}": partition ${partition} does not exist; the topic has partitions 0 to ${offsets.length - 1}`,
      );
    const low = BigInt(o.low);
    const high = BigInt(o.high);
    const live = [...new Set(list)].filter((x) => x >= low).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const contiguous = live.every((x, i) => x === low + BigInt(i)) && (live.length === 0 || live.at(-1)! < high);
    if (!contiguous)
      throw new ConfigError(
        `purge "${topic}": Kafka deletes a partition's records only from its start, and the ids of partition ${partition} ` +
          `are not its first records (it starts at ${partition}:${low}); purge the whole topic, or pass every id from ${partition}:${low} up to the last one to remove`,
      );
    cuts.push({ partition, low, to: low + BigInt(live.length) });
  }
  return cuts;
}
