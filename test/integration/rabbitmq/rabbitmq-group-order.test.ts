import { createConsoleLogger, createApp, defineHandler, type App, type Transport } from '@partita/core';
import { rabbitmqTransport } from '@partita/rabbitmq';
import { createLedger, formatLedgerReport, uniqueName, waitFor } from '@partita/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { RABBITMQ_URL, rabbitAvailable, RabbitNames } from './rabbitmq-helpers.js';

// Issue 15: per-key order across a group of three members while members join
// and leave. Each partition queue has a single active consumer; a member that
// leaves drains its lanes before its channels close, so the next member takes
// over each partition where the previous one stopped, and a member that joins
// takes partitions over the same way (the balance step). The ledger checks
// order per key over every member's first handlings, globally.

const up = await rabbitAvailable();
const PARTITIONS = 6;
const names = new RabbitNames(PARTITIONS);
const quiet = createConsoleLogger({ level: 'silent' });
const WAIT = { timeoutMs: 90_000, intervalMs: 50 };
const apps = new Set<App>();
let publisher: Transport | undefined;

afterAll(async () => {
  await Promise.allSettled([...apps].map((a) => a.stop({ drainTimeoutMs: 2000 })));
  await publisher?.close().catch(() => undefined);
  if (up) await names.deleteAll();
}, 60_000);

const transport = (name: string): Transport =>
  names.track(
    rabbitmqTransport({
      url: RABBITMQ_URL,
      name,
      partitions: PARTITIONS,
      rebalanceIntervalMs: 100,
      probeIntervalMs: 500,
    }),
  );

describe.skipIf(!up)('RabbitMQ: per-key order across a group while members join and leave', () => {
  it('keeps every key in publish order across single-active-consumer hand-overs of three members; nothing lost', async () => {
    const topic = uniqueName('rmq-order');
    const group = uniqueName('order-group');
    const ledger = createLedger();
    let incarnation = 0;
    const member = async (): Promise<App> => {
      const label = `m${incarnation++}`;
      const app = createApp({
        transport: transport(label),
        logger: quiet,
        handlers: [
          defineHandler<{ id: number }>({
            name: group,
            topic,
            ordering: 'key',
            maxInFlight: 16,
            async handle(msg) {
              // A little work, so hand-overs happen with messages in flight.
              await new Promise((r) => setImmediate(r));
              ledger.recordHandled({ id: String(msg.value.id), key: msg.key, by: label, attempt: msg.attempt });
            },
          }),
        ],
      });
      apps.add(app);
      await app.start();
      return app;
    };
    const lanesOf = (app: App): number => app.inspect().lanes.filter((l) => l.state !== 'stopped').length;

    // Three members; the first one owns every partition until the balance step hands some over.
    const live = [await member(), await member(), await member()];
    await waitFor(() => live.every((a) => lanesOf(a) > 0), {
      ...WAIT,
      description: 'each of three members to own partitions',
      diagnose: () => live.map(lanesOf).join(','),
    });

    publisher = names.track(rabbitmqTransport({ url: RABBITMQ_URL, name: 'order-publisher', partitions: PARTITIONS }));
    const pub = publisher;
    let next = 0;
    const publishBatch = async (): Promise<void> => {
      const ids = Array.from({ length: 20 }, () => next++);
      const records = ids.map((id) => ({
        topic,
        key: `k${id % 24}`,
        value: new TextEncoder().encode(JSON.stringify({ id })),
        headers: {},
      }));
      await pub.publish(records);
      ledger.recordPublished(ids.map((id) => ({ id: String(id), key: `k${id % 24}` })));
    };

    // Churn: members leave (graceful stop) and new ones join while batches keep flowing.
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 5; i++) await publishBatch();
      const leaving = live.shift()!;
      const stopping = leaving.stop({ drainTimeoutMs: 10_000 });
      for (let i = 0; i < 5; i++) await publishBatch();
      await stopping;
      apps.delete(leaving);
      live.push(await member());
      for (let i = 0; i < 5; i++) await publishBatch();
      await waitFor(() => live.filter((a) => lanesOf(a) > 0).length >= 2, {
        ...WAIT,
        description: `round ${round}: partitions spread over the members again`,
        diagnose: () => live.map(lanesOf).join(','),
      });
    }

    const report = await ledger.waitForAllHandled({ expected: next, ...WAIT });
    console.log(`rabbitmq group order: ${formatLedgerReport(report)}`);
    expect(report.lost, formatLedgerReport(report)).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.orderViolations, formatLedgerReport(report)).toEqual([]);
    expect(report.published).toBe(next);
    // Hand-overs drain first: every member settled what it handled before the next took over.
    expect(report.duplicates.count, formatLedgerReport(report)).toBe(0);
    expect(Object.keys(report.byHandler).length).toBeGreaterThanOrEqual(5);
  }, 240_000);
});
