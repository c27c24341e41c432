import { randomUUID } from 'node:crypto';
import type { Kafka as KafkaClient } from 'kafkajs';
import type { BrowsedRecord } from '@partita/core';
import { mapKafkaError } from '../errors/map-kafka-error.js';
import { toInboundRecord } from '../subscription/kafka-lane.js';
import type { PartitionRange } from './read-range.js';

/** Prefix of the throwaway groups a read joins; `lag()` leaves them out. */
export const READ_GROUP_PREFIX = 'partita-admin-read-';

/**
 * Read `ranges` of `topic` with a short-lived consumer in a throwaway group
 * (`partita-admin-read-<uuid>`) that never commits, so no real group's
 * position moves; the group is deleted afterwards. kafkajs has no fetch
 * without a group, so each read pays one group join (fast with the broker's
 * `group.initial.rebalance.delay.ms=0`, up to 3 s with the default).
 * Resolves with the oldest `limit` records of the ranges (each partition in
 * offset order, partitions merged by timestamp), or with what it has after
 * `timeoutMs` when a range ends in records it cannot see (transaction markers).
 */
export async function readRanges(
  kafka: KafkaClient,
  topic: string,
  ranges: readonly PartitionRange[],
  limit: number,
  timeoutMs: number,
  deleteGroup: (groupId: string) => Promise<void>,
): Promise<BrowsedRecord[]> {
  if (ranges.length === 0) return [];
  const wanted = new Map(ranges.map((r) => [r.partition, r]));
  const got = new Map<number, BrowsedRecord[]>(ranges.map((r) => [r.partition, []]));
  const open = new Set(ranges.map((r) => r.partition));
  const groupId = READ_GROUP_PREFIX + randomUUID();
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 250,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    retry: { retries: 2 },
  });
  let finish!: () => void;
  let fail!: (err: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const timer = setTimeout(() => finish(), timeoutMs);
  consumer.on(consumer.events.CRASH, (e) => fail(e.payload.error));
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: ({ batch }) => {
        const range = wanted.get(batch.partition);
        const list = got.get(batch.partition);
        if (range === undefined || list === undefined || !open.has(batch.partition)) return Promise.resolve();
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset < range.start || offset >= range.end) continue;
          if (list.length > 0 && offset <= BigInt(list[list.length - 1]!.position)) continue;
          const r = toInboundRecord(m);
          list.push({
            topic,
            partition: batch.partition,
            position: r.offset,
            key: r.key,
            value: r.value,
            headers: r.headers,
            ...(r.raw !== undefined ? { raw: r.raw } : {}),
            timestamp: r.timestamp,
          });
          if (list.length >= limit) break;
        }
        const last = batch.messages.length > 0 ? BigInt(batch.messages[batch.messages.length - 1]!.offset) : -1n;
        if (list.length >= limit || last >= range.end - 1n) {
          open.delete(batch.partition);
          if (open.size === 0) finish();
        }
        return Promise.resolve();
      },
    });
    for (const r of ranges) consumer.seek({ topic, partition: r.partition, offset: String(r.start) });
    await done;
  } catch (err) {
    throw mapKafkaError(err, `read "${topic}"`, topic);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
    await deleteGroup(groupId).catch(() => undefined);
  }
  return mergeByTime(
    ranges.map((r) => got.get(r.partition)!),
    limit,
  );
}

/** The first `limit` records of `lists` (each in offset order) merged by timestamp, each list's order kept. */
function mergeByTime(lists: readonly (readonly BrowsedRecord[])[], limit: number): BrowsedRecord[] {
  const heads = lists.map(() => 0);
  const out: BrowsedRecord[] = [];
  while (out.length < limit) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      const r = lists[i]![heads[i]!];
      if (r !== undefined && (best < 0 || r.timestamp < lists[best]![heads[best]!]!.timestamp)) best = i;
    }
    if (best < 0) break;
    out.push(lists[best]![heads[best]!]!);
    heads[best] = heads[best]! + 1;
  }
  return out;
}
