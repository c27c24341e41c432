/**
 * AFTER: the same handler as a partita handler on `@partita/kafka`.
 * `npm start` in this folder (Kafka on KAFKA_BROKERS, default 127.0.0.1:19092).
 *
 * What changes: per-key order with many keys in flight per partition (not one
 * message per partition); an offset is committed only once every message
 * before it is settled (no loss on a crash, replays at most the in-flight
 * window); retries with backoff that do not block other keys; an order that
 * can never be charged goes to `<topic>.dlq` with its reason and error in the
 * headers, and its offset moves on; Ctrl-C drains in-flight work.
 */
import { createApp, createConsoleLogger, defineHandler, NonRetryableError } from '@partita/core';
import { kafkaTransport } from '@partita/kafka';
import { BROKERS, chargeOrder, InvalidOrder, ORDERS, orders, TOPIC, type Order } from './charge.js';

const app = createApp({
  transport: kafkaTransport({ brokers: BROKERS, clientId: 'billing' }),
  logger: createConsoleLogger({ level: 'error' }),
  handlers: [
    defineHandler<Order>({
      name: `billing-${TOPIC}`, // the consumer group
      topic: TOPIC,
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
await app.publish(orders(ORDERS).map((o) => ({ topic: TOPIC, key: o.customer, value: o })));

const deadline = Date.now() + 120_000;
const settled = (): number => app.inspect().metrics.succeeded + app.inspect().metrics.deadLettered;
while (settled() < ORDERS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
const m = app.inspect().metrics;
await app.stop({ drainTimeoutMs: 10_000 });
console.log(
  `after (partita): ${m.succeeded} charged, ${m.deadLettered} dead-lettered to ${TOPIC}.dlq, ${ORDERS - m.succeeded - m.deadLettered} missing`,
);
