/**
 * `npm start`: an order pipeline on the embedded broker.
 *
 *   shop ──publish──▶ orders ──validate──▶ orders.validated ──bill──▶ (payments)
 *                        │                        │
 *                        └──▶ orders.dlq          └──archive (worker threads, CPU-heavy)
 *
 * Poison orders end in the dead-letter topic (invalid data, a payload that
 * does not decode); a flaky payment gateway fails some charges, which succeed
 * on retry. A live progress line runs; a summary table closes the run.
 * It runs on the embedded broker; `PARTITA_TRANSPORT=kafka|nats|rabbitmq|redis|sqs`
 * (with that broker's `PARTITA_*` variables) runs the same pipeline there,
 * through core's `transportFromEnv()`; `DEMO_TOPIC_PREFIX` names the run's topics.
 * While it runs it serves /healthz, /readyz, /metrics, the admin API and the
 * live dashboard at / (@partita/http; `DEMO_PORT`, default 9464, on
 * 127.0.0.1) and prints the URL; pausing lanes, redriving and purging from
 * the dashboard need `PARTITA_ADMIN_TOKEN` (at least 16 characters), which
 * the demo never prints; without it the dashboard is read-only.
 * `npm start -- --serve` keeps the app and the endpoints up after the summary.
 * Ctrl-C (SIGINT) or SIGTERM drains in-flight work and exits 0 (`app.stopOnSignals`).
 */
import {
  NonRetryableError as NonRetryable,
  createApp,
  createConsoleLogger,
  defineHandler,
  fromEnv,
  recovery,
  transportFromEnv,
  type App,
} from '@partita/core';
import { createMemoryBroker, memoryTransport } from '@partita/memory';
import { serve, type ServedApp } from '@partita/http';
import { orderStream, type Order } from './orders.js';
import { archiveStage } from './archive-stage.js';
import { printSummary, progressLine } from './report.js';
import { groupOf, topics } from './topics.js';

const ORDERS = Number(process.env.DEMO_ORDERS ?? 10_000);
/** Every n-th order is poison (a negative total), dead-lettered by validation. */
const POISON_EVERY = Number(process.env.DEMO_POISON_EVERY ?? 997);
// The embedded broker is the demo's own (4 partitions, its dead letters shown in the summary);
// any other PARTITA_TRANSPORT is built by core from the connector's environment variables.
const broker = fromEnv().transport === 'memory' ? createMemoryBroker({ defaultPartitions: 4 }) : undefined;
const transport = broker ? memoryTransport(broker) : await transportFromEnv();
const brokerName = broker ? 'the embedded broker (memory)' : transport.name;
const logger = createConsoleLogger({ level: (process.env.PARTITA_LOG_LEVEL as 'info' | undefined) ?? 'error' });
const chargedBy = new Map<string, number>();
let gatewayCalls = 0;

const validate = defineHandler<Order>({
  name: 'validate',
  ...groupOf('validate'),
  topic: topics.orders,
  ordering: 'key',
  maxInFlight: 64,
  retry: { maxAttempts: 3, backoff: { initialMs: 20, maxMs: 200 } },
  async handle(msg, ctx) {
    const order = msg.value;
    if (!order.customer || !(order.total > 0))
      throw new NonRetryable(`order ${order.id}: total must be positive and customer set`);
    await ctx.publish({ topic: topics.validated, key: msg.key, value: { ...order, validatedAt: Date.now() } });
  },
});

const bill = defineHandler<Order>({
  name: 'bill',
  ...groupOf('bill'),
  topic: topics.validated,
  ordering: 'key',
  maxInFlight: 128,
  retry: { maxAttempts: 5, backoff: { initialMs: 10, multiplier: 2, maxMs: 200, jitter: 0.2 } },
  async handle(msg) {
    gatewayCalls++;
    // The payment gateway answers in 1–3 ms and fails the first try of every 25th order.
    await new Promise((r) => setTimeout(r, 1 + (gatewayCalls % 3)));
    if (msg.value.id % 25 === 0 && msg.attempt === 1) throw new Error('payment gateway timeout (transient)');
    chargedBy.set(msg.value.customer, (chargedBy.get(msg.value.customer) ?? 0) + msg.value.total);
  },
});

const archive = archiveStage();
const app: App = createApp({
  transport,
  handlers: [validate, bill, ...archive.handlers],
  ...(archive.executor ? { executor: archive.executor } : {}),
  middleware: [recovery()],
  logger,
});

const keepServing = process.argv.includes('--serve');
let ticker: NodeJS.Timeout | undefined;
let publishedCount = 0;
let malformedCount = 0;
const started = Date.now();
let summarized = false;
function summary(reason: string): void {
  clearInterval(ticker);
  process.stderr.write('\n');
  summarized = true;
  printSummary({
    app,
    broker,
    brokerName,
    published: publishedCount,
    malformed: malformedCount,
    elapsedMs: Date.now() - started,
    reason,
    archive: archive.perThread(),
  });
}
const SIGNAL_REASON: Record<string, string> = {
  SIGINT: 'interrupted (Ctrl-C): drained and stopped',
  SIGTERM: 'terminated (SIGTERM): drained and stopped',
};
app.stopOnSignals({
  drainTimeoutMs: 10_000,
  async onStopped(signal) {
    if (!summarized) summary(SIGNAL_REASON[signal] ?? `${signal}: drained and stopped`);
    else console.log(`partita demo: ${signal}: drained and stopped`);
    await server.close();
    await broker?.close();
  },
});
const stopping = (): boolean => app.inspect().state !== 'running';

/** Serve the probes, the admin API and the dashboard on DEMO_PORT (default 9464); a port in use falls back to a free one. */
async function endpoints(): Promise<ServedApp> {
  const port = Number(process.env.DEMO_PORT ?? 9464);
  // The token comes from PARTITA_ADMIN_TOKEN (serve's default); without it every write is refused.
  const admin = { transport };
  try {
    return await serve(app, { port, admin });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    return serve(app, { port: 0, admin });
  }
}
const server = await endpoints();
console.log(`partita demo: running on ${brokerName}`);
console.log(`partita demo: endpoints at ${server.url} (/healthz /readyz /metrics /api/inspect)`);
console.log(
  `partita demo: dashboard at ${server.url}/ (${
    process.env.PARTITA_ADMIN_TOKEN
      ? 'enter PARTITA_ADMIN_TOKEN in the page to pause lanes, redrive or purge'
      : 'read-only: set PARTITA_ADMIN_TOKEN to pause lanes, redrive or purge from it'
  }; \`npm start -- --serve\` keeps it up after the run)`,
);

/** Messages of handler `h` that are settled: handled or dead-lettered. */
function settled(h: string): number {
  return app
    .inspect()
    .lanes.filter((l) => l.handler === h)
    .reduce((n, l) => n + l.succeeded + l.deadLettered, 0);
}

await app.start();
ticker = setInterval(() => progressLine(app, publishedCount, ORDERS, started), 250);
for (const batch of orderStream(ORDERS, 500, POISON_EVERY)) {
  // A polite producer: stay at most ~5,000 orders ahead of validation, and let the event loop breathe.
  while (!stopping() && publishedCount - settled('validate') > 5_000) await new Promise((r) => setTimeout(r, 5));
  if (stopping()) break;
  await app.publish(batch.valid);
  // A payload that is not JSON at all: the runtime dead-letters it with reason `decode`.
  if (batch.garbage)
    await transport.publish([
      { topic: topics.orders, key: batch.garbage.key, value: batch.garbage.bytes, headers: {} },
    ]);
  publishedCount += batch.valid.length + (batch.garbage ? 1 : 0);
  malformedCount += batch.garbage ? 1 : 0;
}

// Finished when every order is settled: validated (or dead-lettered), billed and archived.
const done = (): boolean => {
  const validated = app
    .inspect()
    .lanes.filter((l) => l.handler === 'validate')
    .reduce((n, l) => n + l.succeeded, 0);
  return (
    settled('validate') >= publishedCount &&
    settled('bill') >= validated &&
    archive.handlers.every((h) => settled(h.name) >= validated)
  );
};
while (!stopping() && !done()) await new Promise((r) => setTimeout(r, 50));
if (!stopping()) {
  if (keepServing) {
    summary('completed');
    console.log(`partita demo: still serving ${server.url}/metrics; Ctrl-C to stop`);
  } else {
    await app.stop({ drainTimeoutMs: 10_000 });
    summary('completed');
    await server.close();
    await broker?.close();
    process.exit(0);
  }
}
