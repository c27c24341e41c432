/**
 * AFTER: the same handler as a partita handler on `@partita/redis` (Redis Streams).
 * `npm start` in this folder (Redis on REDIS_URL, default redis://127.0.0.1:6379).
 *
 * What changes: a topic (partitioned streams) instead of a job queue, so each
 * consumer group gets every order; per-customer order with many customers in
 * flight; retries with backoff, then a dead-letter stream (`orders.dlq`) with
 * the reason and error in the headers, which can be redriven; the message is
 * acknowledged only after success or a confirmed dead-letter copy; Ctrl-C drains.
 */
import { createApp, createConsoleLogger, defineHandler, NonRetryableError } from '@partita/core';
import { redisTransport } from '@partita/redis';
import { chargeOrder, InvalidOrder, ORDERS, orders, PREFIX, REDIS_URL, type Order } from './charge.js';

const app = createApp({
  transport: redisTransport({ url: REDIS_URL, keyPrefix: PREFIX }),
  logger: createConsoleLogger({ level: 'error' }),
  handlers: [
    defineHandler<Order>({
      name: 'billing', // the consumer group
      topic: 'orders',
      ordering: 'key',
      maxInFlight: 64,
      retry: { maxAttempts: 3, backoff: { initialMs: 50, maxMs: 1000 } },
      async handle(msg) {
        try {
          await chargeOrder(msg.value);
        } catch (err) {
          if (err instanceof InvalidOrder) throw new NonRetryableError(err.message, { cause: err });
          throw err; // retried with backoff, then dead-lettered
        }
      },
    }),
  ],
});
app.stopOnSignals();
await app.start();
await app.publish(orders(ORDERS).map((o) => ({ topic: 'orders', key: o.customer, value: o })));

const deadline = Date.now() + 120_000;
const settled = (): number => app.inspect().metrics.succeeded + app.inspect().metrics.deadLettered;
while (settled() < ORDERS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
const m = app.inspect().metrics;
await app.stop({ drainTimeoutMs: 10_000 });
console.log(
  `after (partita): ${m.succeeded} charged, ${m.deadLettered} dead-lettered to orders.dlq, ${ORDERS - m.succeeded - m.deadLettered} missing`,
);
