import { createConsoleLogger, createApp, defineHandler, jsonCodec, partitionForKey, type Message } from '@partita/core';
import type { MemoryBroker } from '@partita/memory';
import { rawMemoryPass } from '../raw/raw-memory-pass.js';

const silent = createConsoleLogger({ level: 'silent' });

/** What the handlers count; both sides call the very same handler function. */
export const counter = { handled: 0 };
// eslint-disable-next-line @typescript-eslint/require-await -- measured as it is written: an async handler
export const noop = async (_m: Message): Promise<void> => {
  counter.handled++;
};

/**
 * Publish `count` JSON records of about `size` bytes each; record `i` has key
 * `k<i mod keys>` (`keys` distinct keys; 0 = keyless, round-robin).
 *
 * With `partitions` (keyed records only: the topic's partition count), the
 * records are published one partition after another, each partition's in
 * their order `i`: the same records on the same partitions in the same order
 * per partition, but each partition's records lie together in memory, as a
 * broker's fetch batch does. Published in order `i`, a partition's records
 * are spread over the whole fill, and a consumer of 1,024 partitions reads a
 * pre-filled topic with a stride of 1,024 records: bound by cache and TLB
 * misses, which any reader pays (the raw loop too), not by its lanes.
 */
export async function fill(
  broker: MemoryBroker,
  topic: string,
  count: number,
  opts: { keys: number; size: number; partitions?: number },
): Promise<void> {
  const pad = 'x'.repeat(Math.max(0, opts.size - 24));
  const batch = Math.max(1, Math.min(10_000, Math.floor(2 ** 24 / Math.max(1, opts.size))));
  const record = (j: number) => ({
    topic,
    ...(opts.keys > 0 ? { key: `k${j % opts.keys}` } : {}),
    value: jsonCodec.encode({ i: j, p: pad }),
    headers: { 'content-type': 'application/json' },
  });
  for (const indices of publishOrder(count, opts.keys, opts.partitions))
    for (let i = 0; i < indices.length; i += batch) await broker.publish(indices.slice(i, i + batch).map(record));
}

/** The record indices in publish order: `0 … count-1`, or grouped by the partition of their key. */
function publishOrder(count: number, keys: number, partitions: number | undefined): number[][] {
  if (partitions === undefined || keys === 0) return [Array.from({ length: count }, (_, i) => i)];
  const byKey = Array.from({ length: Math.min(keys, count) }, (_, k) => partitionForKey(`k${k}`, partitions));
  const groups = Array.from({ length: partitions }, (): number[] => []);
  for (let j = 0; j < count; j++) groups[byKey[j % keys]!]!.push(j);
  return groups;
}

/**
 * Make `groups` known to the broker before any of them reads (it frees
 * records once every group it knows has committed past them).
 */
export function register(broker: MemoryBroker, topic: string, partitions: number, groups: readonly string[]): void {
  for (const group of groups)
    for (let p = 0; p < partitions; p++) broker.commit({ group, topic, partition: p, offset: 0 });
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}

/**
 * A running app (not yet stopped): its rate from `app.start()` to the last
 * message handled (lane creation included), and how long `app.start()` took.
 */
export interface PartitaRun {
  readonly msgsPerSec: number;
  /** `app.start()` alone: connecting, joining, creating the lanes. */
  readonly startMs: number;
  stop(): Promise<void>;
}

/** partita on the memory transport with the handler's defaults (key ordering, maxInFlight 64). */
export async function runPartita(
  broker: MemoryBroker,
  transport: Parameters<typeof createApp>[0]['transport'],
  topic: string,
  count: number,
  group: string,
): Promise<PartitaRun> {
  counter.handled = 0;
  const app = createApp({ transport, logger: silent, handlers: [defineHandler({ name: group, topic, handle: noop })] });
  const start = performance.now();
  await app.start();
  const startMs = performance.now() - start;
  await until(() => counter.handled >= count);
  const secs = (performance.now() - start) / 1000;
  return { msgsPerSec: count / secs, startMs, stop: () => app.stop() };
}

/** The `embedded` scenario's raw loop: fetch per partition, decode, await the handler per message, commit. */
export async function runRaw(
  broker: MemoryBroker,
  topic: string,
  partitions: number,
  count: number,
  group: string,
): Promise<number> {
  counter.handled = 0;
  const start = performance.now();
  while (counter.handled < count) {
    for (let p = 0; p < partitions; p++) await rawMemoryPass(broker, group, topic, p, noop);
  }
  return count / ((performance.now() - start) / 1000);
}
