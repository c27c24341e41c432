import { createConsoleLogger, createApp, defineHandler, type App } from '@partita/core';
import { redisTransport } from '@partita/redis';
import { brokersRequired, createLedger, formatLedgerReport, waitFor } from '@partita/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePrefix, REDIS_URL, redisAvailable, uniquePrefix } from './redis-helpers.js';

const available = await redisAvailable();
if (available !== true && brokersRequired()) throw new Error(`Redis is required: ${available}`);
const quiet = createConsoleLogger({ level: 'silent' });
const WAIT = { timeoutMs: 120_000, intervalMs: 50 };
const prefix = uniquePrefix('group-order');
const apps: App[] = [];

afterAll(async () => {
  await Promise.allSettled(apps.map((a) => a.stop({ drainTimeoutMs: 2000 })));
  if (available === true) await deletePrefix(prefix);
});

describe.skipIf(available !== true)('Redis per-key order across a group', () => {
  it('keeps per-key order across a group of three members while members join and leave', async () => {
    const topic = 'orders';
    const group = 'billing';
    const ledger = createLedger();
    let incarnation = 0;
    const member = async (): Promise<{ app: App; label: string }> => {
      const label = `m${incarnation++}`;
      const app = createApp({
        transport: redisTransport({ url: REDIS_URL, keyPrefix: prefix, partitions: 6, leaseMs: 1000 }),
        logger: quiet,
        handlers: [
          defineHandler<{ id: string }>({
            name: group,
            topic,
            ordering: 'key',
            maxInFlight: 32,
            async handle(m) {
              // Slow enough that a drain outlasts a heartbeat (leaseMs / 5): a new owner that read
              // before the old one drained would handle messages twice and out of order.
              await new Promise((r) => setTimeout(r, 250));
              ledger.recordHandled({ id: m.value.id, key: m.key, by: label, attempt: m.attempt });
            },
          }),
        ],
      });
      apps.push(app);
      await app.start();
      return { app, label };
    };
    const owned = (app: App): number => app.inspect().lanes.filter((l) => l.state !== 'stopped').length;
    const publisher = createApp({
      transport: redisTransport({ url: REDIS_URL, keyPrefix: prefix, partitions: 6 }),
      logger: quiet,
    });
    apps.push(publisher);
    await publisher.start();
    let next = 0;
    const publishSome = async (n: number): Promise<void> => {
      const batch = Array.from({ length: n }, () => {
        const i = next++;
        return { topic, key: `k${i % 30}`, value: { id: `o-${i}` } };
      });
      await publisher.publish(batch);
      ledger.recordPublished(batch.map((m) => ({ id: m.value.id, key: m.key })));
    };

    const live = [await member(), await member(), await member()];
    await waitFor(() => live.every((m) => owned(m.app) === 2), {
      ...WAIT,
      description: 'three members owning two partitions each',
    });
    await publishSome(600);
    // Churn while messages flow: one leaves, a new one joins, another leaves, another joins.
    for (let round = 0; round < 4; round++) {
      const flowing = publishSome(300);
      // Churn mid-flow: members hold messages in flight and in their buffers when partitions move.
      const before = ledger.report().handled;
      await waitFor(() => ledger.report().handled > before + 50, {
        ...WAIT,
        description: `round ${round}: messages flowing`,
      });
      if (round % 2 === 0) {
        const leaving = live.shift()!;
        await leaving.app.stop({ drainTimeoutMs: 10_000 });
      } else {
        live.push(await member());
      }
      await flowing;
      const expected = live.length === 3 ? 2 : 3;
      await waitFor(() => live.every((m) => owned(m.app) === expected), {
        ...WAIT,
        description: `round ${round}: the ${live.length} members to split the six partitions evenly`,
      });
      await publishSome(200);
    }
    const report = await ledger.waitForAllHandled({ expected: next, ...WAIT });
    console.log(`redis group order: ${formatLedgerReport(report)}`);
    expect(report.lost, formatLedgerReport(report)).toEqual([]);
    expect(report.orderViolations, formatLedgerReport(report)).toEqual([]);
    expect(report.memberOrderViolations, formatLedgerReport(report)).toEqual([]);
    // Graceful hand-over: the old owner drains before the new one reads, so nothing is handled twice.
    expect(report.duplicates.count, formatLedgerReport(report)).toBe(0);
    // More than one incarnation handled messages: the churn really moved partitions.
    expect(Object.keys(report.byHandler).length, JSON.stringify(report.byHandler)).toBe(incarnation);
  }, 240_000);
});
