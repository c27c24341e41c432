import { createConsoleLogger, createApp, defineHandler, jsonCodec, type Message } from '@partita/core';
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
 */
export async function fill(
  broker: MemoryBroker,
  topic: string,
  count: number,
  opts: { keys: number; size: number },
): Promise<void> {
  const pad = 'x'.repeat(Math.max(0, opts.size - 24));
  const batch = Math.max(1, Math.min(10_000, Math.floor(2 ** 24 / Math.max(1, opts.size))));
  for (let i = 0; i < count; i += batch) {
    const records = [];
    for (let j = i; j < Math.min(count, i + batch); j++)
      records.push({
        topic,
        ...(opts.keys > 0 ? { key: `k${j % opts.keys}` } : {}),
        value: jsonCodec.encode({ i: j, p: pad }),
        headers: { 'content-type': 'application/json' },
      });
    await broker.publish(records);
  }
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

/** A running app (not yet stopped) and its rate from `app.start()` to the last message handled. */
export interface PartitaRun {
  readonly msgsPerSec: number;
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
  await until(() => counter.handled >= count);
  const secs = (performance.now() - start) / 1000;
  return { msgsPerSec: count / secs, stop: () => app.stop() };
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
