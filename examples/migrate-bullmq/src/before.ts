/**
 * BEFORE: a BullMQ queue and worker. `node dist/before.js` (Redis on REDIS_URL).
 *
 * What it gives: jobs run with `concurrency` in parallel with no order at all
 * (two orders of one customer may be charged out of order); a failed job is
 * retried by `attempts` and then parked in the "failed" set, outside any
 * topic, with no reason beyond the error message; one queue per job type, no
 * fan-out to several consumer groups.
 */
import { Queue, Worker } from 'bullmq';
import { chargeOrder, ORDERS, orders, PREFIX, REDIS_URL, type Order } from './charge.js';

const url = new URL(REDIS_URL);
const connection = { host: url.hostname, port: Number(url.port || 6379) };
const queue = new Queue<Order>('orders', { connection, prefix: `${PREFIX}bull` });
await queue.addBulk(orders(ORDERS).map((o) => ({ name: 'charge', data: o, opts: { attempts: 3 } })));

let charged = 0;
let failed = 0;
const worker = new Worker<Order>(
  'orders',
  async (job) => {
    await chargeOrder(job.data);
  },
  { connection, prefix: `${PREFIX}bull`, concurrency: 64 },
);
worker.on('completed', () => charged++);
worker.on('failed', (job) => {
  if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) failed++;
});
while (charged + failed < ORDERS) await new Promise((r) => setTimeout(r, 20));
console.log(`before (bullmq): ${charged} charged, ${failed} in the failed set`);
await worker.close();
await queue.obliterate({ force: true });
await queue.close();
