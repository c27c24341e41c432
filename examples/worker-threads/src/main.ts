/**
 * A CPU-heavy handler on worker threads. The same work (chained SHA-256, about
 * 10 ms of CPU per message) runs first inline, on the event loop, then as a
 * worker handler on a `@partita/worker-pool` of `THREADS` threads. The example
 * prints both throughputs and the speed-up, and how late a 10 ms timer fired
 * meanwhile (the event loop's lag: what broker heartbeats would suffer).
 * `npm start` in this folder.
 */
import { availableParallelism } from 'node:os';
import { createApp, createConsoleLogger, defineHandler, type AnyHandlerDefinition } from '@partita/core';
import { createMemoryBroker, memoryTransport } from '@partita/memory';
import { workerPool } from '@partita/worker-pool';
import { proofOfWork, ROUNDS } from './proof-of-work.js';

const MESSAGES = Number(process.env.EXAMPLE_MESSAGES ?? 200);
const THREADS = Number(process.env.EXAMPLE_THREADS ?? Math.max(2, availableParallelism() - 1));

interface Doc {
  readonly document: string;
}

async function run(mode: 'inline' | 'worker threads'): Promise<{ rate: number; lagMs: number }> {
  const broker = createMemoryBroker({ defaultPartitions: 4 });
  const handler: AnyHandlerDefinition =
    mode === 'inline'
      ? defineHandler<Doc>({
          name: 'fingerprint',
          topic: 'documents',
          ordering: 'none',
          maxInFlight: 64,
          handle(msg) {
            proofOfWork(msg.value.document, ROUNDS);
            return Promise.resolve();
          },
        })
      : defineHandler({
          name: 'fingerprint',
          topic: 'documents',
          ordering: 'none',
          maxInFlight: 64,
          worker: new URL('./workers/fingerprint.worker.js', import.meta.url),
        });
  const pool = mode === 'inline' ? undefined : workerPool({ threads: THREADS });
  const app = createApp({
    transport: memoryTransport(broker),
    handlers: [handler],
    ...(pool ? { executor: pool } : {}),
    logger: createConsoleLogger({ level: 'error' }),
  });
  await app.publish(
    Array.from({ length: MESSAGES }, (_, i) => ({
      topic: 'documents',
      key: `doc-${i}`,
      value: { document: `doc-${i}` },
    })),
  );
  // Event-loop lag: how late a 10 ms interval fires while the work runs.
  let maxLagMs = 0;
  let last = performance.now();
  const probe = setInterval(() => {
    const now = performance.now();
    maxLagMs = Math.max(maxLagMs, now - last - 10);
    last = now;
  }, 10);
  const started = performance.now();
  await app.start();
  const deadline = Date.now() + 120_000;
  while (app.inspect().metrics.succeeded < MESSAGES && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(probe);
  const handled = app.inspect().metrics.succeeded;
  await app.stop({ drainTimeoutMs: 10_000 });
  await broker.close();
  if (handled < MESSAGES) throw new Error(`${mode}: only ${handled} of ${MESSAGES} messages handled in time`);
  return { rate: handled / seconds, lagMs: maxLagMs };
}

const inline = await run('inline');
const threads = await run('worker threads');
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
console.log(`${MESSAGES} messages, ${ROUNDS.toLocaleString('en-US')} SHA-256 rounds each, ${THREADS} worker threads`);
console.table({
  inline: { 'msg/s': fmt(inline.rate), 'max event-loop lag (ms)': fmt(inline.lagMs) },
  'worker threads': { 'msg/s': fmt(threads.rate), 'max event-loop lag (ms)': fmt(threads.lagMs) },
});
console.log(`speed-up on ${THREADS} worker threads: ${(threads.rate / inline.rate).toFixed(2)}x`);
console.log(`all ${MESSAGES} messages handled in both runs`);
