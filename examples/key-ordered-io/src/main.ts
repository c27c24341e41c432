/**
 * Key-ordered I/O at high concurrency — the Parallel Consumer use case.
 *
 * Each message needs a slow I/O call (a 5 ms remote lookup). Partition order
 * (`ordering: 'partition'`, what a plain Kafka consumer gives) handles one
 * message per partition at a time. Key order (`ordering: 'key'`) keeps the
 * order that matters — per customer — and runs different customers in
 * parallel, up to `maxInFlight` per partition. Same messages, same 4
 * partitions: the example runs both and prints the throughput of each and
 * whether per-key order held. `npm start` in this folder.
 */
import { createApp, createConsoleLogger, defineHandler } from '@partita/core';
import { createMemoryBroker, memoryTransport } from '@partita/memory';

const MESSAGES = Number(process.env.EXAMPLE_MESSAGES ?? 800);
const KEYS = 200;
const IO_MS = 5;

interface Step {
  readonly customer: string;
  readonly seq: number;
}

/** Run the same workload under one ordering; returns msg/s and the key-order violations seen. */
async function run(ordering: 'partition' | 'key'): Promise<{ rate: number; violations: number }> {
  const broker = createMemoryBroker({ defaultPartitions: 4 });
  const lastSeq = new Map<string, number>();
  let violations = 0;
  let done = 0;
  const app = createApp({
    transport: memoryTransport(broker),
    logger: createConsoleLogger({ level: 'error' }),
    handlers: [
      defineHandler<Step>({
        name: `enrich-${ordering}`,
        topic: 'events',
        ordering,
        maxInFlight: 256,
        async handle(msg) {
          await new Promise((r) => setTimeout(r, IO_MS)); // the remote call
          if ((lastSeq.get(msg.value.customer) ?? -1) !== msg.value.seq - 1) violations++;
          lastSeq.set(msg.value.customer, msg.value.seq);
          done++;
        },
      }),
    ],
  });
  // Published before the app starts, so both runs see the same backlog.
  const seq = new Map<string, number>();
  const messages = Array.from({ length: MESSAGES }, (_, i) => {
    const customer = `customer-${i % KEYS}`;
    const n = seq.get(customer) ?? 0;
    seq.set(customer, n + 1);
    return { topic: 'events', key: customer, value: { customer, seq: n } };
  });
  await app.publish(messages);
  const started = performance.now();
  await app.start();
  const deadline = Date.now() + 120_000;
  while (done < MESSAGES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - started) / 1000;
  await app.stop({ drainTimeoutMs: 10_000 });
  await broker.close();
  return { rate: done / seconds, violations: violations + (MESSAGES - done) };
}

const partition = await run('partition');
const key = await run('key');
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
console.log(`${MESSAGES} messages, ${KEYS} keys, 4 partitions, ${IO_MS} ms of I/O each`);
console.table({
  'partition order': { 'msg/s': fmt(partition.rate), 'key-order violations': partition.violations },
  'key order': { 'msg/s': fmt(key.rate), 'key-order violations': key.violations },
});
console.log(`key order ran ${(key.rate / partition.rate).toFixed(1)}x the throughput of partition order`);
console.log(
  key.violations + partition.violations === 0
    ? 'per-key order held in both runs'
    : `ORDER BROKEN: ${key.violations + partition.violations} violations`,
);
