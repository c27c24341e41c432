// The three-stage pipeline of worker-publish.test.ts on a real Kafka:
// inline validate → worker transform (publishes) → inline sink; order per key
// and no loss across the thread hop, with retries and a poison message.
import { afterEach, describe, expect, it } from 'vitest';
import { createConsoleLogger, createApp, defineHandler, type App, type Logger } from '@partita/core';
import { workerPool } from '@partita/worker-pool';
import { kafkaSkipReason, testTransport, unique, until } from '../kafka/kafka-test-env.js';

const WORKER = new URL('./fixtures/publisher.worker.mjs', import.meta.url);
const quiet: Logger = createConsoleLogger({ level: 'silent' });

describe.skipIf(kafkaSkipReason !== undefined)('worker handlers publishing on Kafka', () => {
  const apps: App[] = [];
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.stop({ drainTimeoutMs: 5_000 }).catch(() => {});
  });

  it('a three-stage pipeline keeps order per key and loses nothing, with retries and a poison message', async () => {
    const orders = unique('orders');
    const valid = unique('valid');
    const priced = unique('priced');
    const transform = unique('transform');
    const seen = new Map<string, number[]>();
    let deadLettered: string | undefined;
    const app = createApp({
      transport: testTransport({ partitions: 3 }),
      executor: workerPool({ threads: 2, logger: quiet }),
      logger: quiet,
      handlers: [
        defineHandler<{ id: string; seq: number; total: number; flaky?: boolean; poison?: boolean }>({
          name: unique('validate'),
          topic: orders,
          async handle(m, ctx) {
            await ctx.publish({ topic: valid, key: m.key, value: { op: 'transform', out: priced, ...m.value } });
          },
        }),
        defineHandler({
          name: transform,
          topic: valid,
          worker: WORKER,
          retry: { maxAttempts: 3, backoff: { initialMs: 20, jitter: 0 } },
        }),
        defineHandler<{ id: string; seq: number; total: number }>({
          name: unique('sink'),
          topic: priced,
          handle(m) {
            const list = seen.get(m.key!) ?? [];
            list.push(m.value.seq);
            seen.set(m.key!, list);
          },
        }),
      ],
    });
    apps.push(app);
    app.on('message.dead-lettered', (e) => (deadLettered = e.message.key));
    await app.start();
    const keys = 10;
    const perKey = 10;
    const msgs = [];
    for (let seq = 0; seq < perKey; seq++) {
      for (let k = 0; k < keys; k++) {
        msgs.push({
          topic: orders,
          key: `c-${k}`,
          value: { id: `c-${k}/${seq}`, seq, total: seq, flaky: seq % 4 === 1, poison: k === 3 && seq === 7 },
        });
      }
    }
    await app.publish(msgs);
    await until(
      () => deadLettered !== undefined && [...seen.values()].reduce((n, l) => n + l.length, 0) >= keys * perKey - 1,
      'pipeline drained',
      120_000,
    );
    for (let k = 0; k < keys; k++) {
      const expected = Array.from({ length: perKey }, (_, s) => s).filter((s) => !(k === 3 && s === 7));
      // At least once: a rebalance may replay part of a key; first deliveries come in order and none is lost.
      const got = seen.get(`c-${k}`) ?? [];
      expect([...new Set(got)], `c-${k} handled in order, none lost`).toEqual(expected);
    }
    expect(deadLettered).toBe('c-3');
  });
});
