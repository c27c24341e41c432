/**
 * The README's example as a file that runs: one handler on the embedded
 * broker, a good order billed (its invoice published) and a bad one
 * dead-lettered. `npm start` in this folder.
 */
import { createApp, defineHandler, NonRetryableError } from '@partita/core';
import { createMemoryBroker, memoryTransport } from '@partita/memory';

const broker = createMemoryBroker({ defaultPartitions: 4 });
const app = createApp({
  transport: memoryTransport(broker), // or kafkaTransport({...}), natsTransport({...}), redisTransport({...}), await transportFromEnv()
  handlers: [
    defineHandler<{ total: number }>({
      name: 'billing', // also the consumer group
      topic: 'orders',
      ordering: 'key', // same key: one at a time, in order; other keys: in parallel
      maxInFlight: 64,
      retry: { maxAttempts: 5, backoff: { initialMs: 200, multiplier: 2, maxMs: 60_000, jitter: 0.2 } },
      async handle(msg, ctx) {
        if (msg.value.total < 0) throw new NonRetryableError('negative total'); // straight to orders.dlq
        await ctx.publish({ topic: 'invoices', key: msg.key, value: { total: msg.value.total } });
        console.log(`billed ${msg.key}: ${msg.value.total}`);
      },
    }),
  ],
});
await app.start();
await app.publish({ topic: 'orders', key: 'c-42', value: { total: 12 } });
await app.publish({ topic: 'orders', key: 'c-7', value: { total: -1 } });

// Wait until both orders are settled (billed or dead-lettered), then drain and stop.
const settled = (): number => app.inspect().metrics.succeeded + app.inspect().metrics.deadLettered;
const deadline = Date.now() + 30_000;
while (settled() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
await app.stop({ drainTimeoutMs: 10_000 });

const invoices = broker.stats().topics.find((t) => t.name === 'invoices')?.published ?? 0;
const dlq = await memoryTransport(broker).admin.read('orders.dlq'); // browse the dead-letter topic: nothing is consumed
console.log(`invoices published: ${invoices}`);
for (const d of dlq) console.log(`dead-lettered ${d.key}: ${d.headers['partita-dead-letter-reason']}`);
await broker.close();
