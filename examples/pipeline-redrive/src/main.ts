/**
 * Consume → transform → produce, with retries, a dead-letter topic and a redrive.
 *
 *   payments ──convert──▶ payments.eur        (the FX rate service fails now and then: retried)
 *       │
 *       └──▶ payments.dlq                    (currencies it does not know yet: dead-lettered)
 *
 * Then the rate service learns the missing currency, and the dead letters are
 * redriven to the `convert` group only: every payment ends up converted once.
 * `npm start` in this folder.
 */
import { createApp, createConsoleLogger, defineHandler, NonRetryableError, redriveDeadLetters } from '@partita/core';
import { createMemoryBroker, memoryTransport } from '@partita/memory';

interface Payment {
  readonly id: number;
  readonly amount: number;
  readonly currency: string;
}

const PAYMENTS = 300;
const rates = new Map<string, number>([
  ['EUR', 1],
  ['USD', 0.92],
  ['GBP', 1.17],
]);
let rateCalls = 0;

/** The FX rate service: a transient failure on every 10th call; unknown currencies are not retryable. */
async function rateOf(currency: string): Promise<number> {
  await new Promise((r) => setTimeout(r, 1));
  if (++rateCalls % 10 === 0) throw new Error('rate service: 503 (transient)');
  const rate = rates.get(currency);
  if (rate === undefined) throw new NonRetryableError(`rate service: no rate for ${currency}`);
  return rate;
}

const broker = createMemoryBroker({ defaultPartitions: 2 });
const transport = memoryTransport(broker);
const app = createApp({
  transport,
  logger: createConsoleLogger({ level: 'error' }),
  handlers: [
    defineHandler<Payment>({
      name: 'convert',
      topic: 'payments',
      ordering: 'key',
      maxInFlight: 32,
      retry: { maxAttempts: 4, backoff: { initialMs: 5, maxMs: 50 } },
      async handle(msg, ctx) {
        const eur = Math.round(msg.value.amount * (await rateOf(msg.value.currency)) * 100) / 100;
        await ctx.publish({ topic: 'payments.eur', key: msg.key, value: { id: msg.value.id, eur } });
      },
    }),
  ],
});

const currencies = ['EUR', 'USD', 'GBP', 'CHF'];
await app.start();
await app.publish(
  Array.from({ length: PAYMENTS }, (_, i) => ({
    topic: 'payments',
    key: `account-${i % 20}`,
    value: { id: i, amount: 10 + i, currency: currencies[i % 4]! },
  })),
);

const count = (topic: string): number => broker.stats().topics.find((t) => t.name === topic)?.published ?? 0;
async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const settled = (): number => app.inspect().metrics.succeeded + app.inspect().metrics.deadLettered;
await until('every payment settled', () => settled() >= PAYMENTS);
const first = app.inspect().metrics;
const dlq = broker.stats().deadLetters;
console.log(
  `1) ${PAYMENTS} payments: ${first.succeeded} converted, ${first.retried} retries, ${first.deadLettered} dead-lettered`,
);
console.log(`   dead letters by reason: ${JSON.stringify(dlq.byTopic['payments']?.byReason ?? {})}`);

// The rate service learns CHF; redrive the dead letters to the group that failed them
// (a dry run first says what would happen), then purge what was redriven.
rates.set('CHF', 1.04);
const plan = await redriveDeadLetters(transport, { topic: 'payments.dlq', dryRun: true });
const { redriven } = await redriveDeadLetters(transport, { topic: 'payments.dlq', ids: plan.plan.map((p) => p.id) });
console.log(`2) CHF rate added; redrove ${redriven} dead letters to group "${Object.keys(plan.byGroup).join(', ')}"`);
await until('the redriven payments converted', () => count('payments.eur') >= PAYMENTS);
await transport.admin.purge(
  'payments.dlq',
  plan.plan.map((p) => p.id),
);
await app.stop({ drainTimeoutMs: 10_000 });

console.log(
  `3) payments.eur holds ${count('payments.eur')} conversions for ${PAYMENTS} payments; dead letters left: ${broker.stats().deadLetters.total}`,
);
await broker.close();
