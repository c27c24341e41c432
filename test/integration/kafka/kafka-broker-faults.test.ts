// Broker and network faults with the runtime: kill -9 of the broker and a
// restart on the same log dir, a blackholed and reset network through the
// fault proxy, and a restart with a parked key (commit metadata).
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleLogger, createApp, defineHandler } from '@partita/core';
import type { App } from '@partita/core';
import { createFaultProxy, createLedger, formatLedgerReport } from '@partita/testing';
import type { Ledger } from '@partita/testing';
import { startKafka, type KafkaHandle } from '../../../tools/kafka/kafka.mjs';
import { brokers, kafkaSkipReason, required, testTransport, unique, until, viaProxy } from './kafka-test-env.js';

const quiet = createConsoleLogger({ level: 'silent' });
type V = { id: string };

function handler(topic: string, ledger: Ledger, extra: Partial<Parameters<typeof defineHandler<V>>[0]> = {}) {
  return defineHandler<V>({
    name: unique('h'),
    topic,
    ordering: 'key',
    maxInFlight: 64,
    handle: (m) => ledger.recordHandled({ id: m.value.id, key: m.key }),
    ...extra,
  });
}

/** `count` TCP ports free right now on 127.0.0.1 (held together while chosen, so they differ). */
async function sparePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const srv = createServer();
          srv.once('error', reject);
          srv.listen(0, '127.0.0.1', () => resolve(srv));
        }),
    ),
  );
  const ports = servers.map((srv) => (srv.address() as { port: number }).port);
  await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
  return ports;
}

async function publishAll(app: App, ledger: Ledger, topic: string, from: number, count: number): Promise<void> {
  const msgs = Array.from({ length: count }, (_, i) => ({ id: `m${from + i}`, key: `k${(from + i) % 8}` }));
  ledger.recordPublished(msgs);
  for (let i = 0; i < msgs.length; i += 100) {
    const batch = msgs.slice(i, i + 100).map((m) => ({ topic, key: m.key, value: { id: m.id } }));
    // retry until the broker confirmed: a failed publish may have landed, so duplicates are allowed, loss is not
    await until(
      async () =>
        app.publish(batch).then(
          () => true,
          () => false,
        ),
      'publish confirmed',
      120_000,
    );
  }
}

describe.skipIf(kafkaSkipReason !== undefined)('kafka broker and network faults', () => {
  const apps: App[] = [];
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.stop({ drainTimeoutMs: 2_000 }).catch(() => {});
  });

  describe('broker crash (own broker on spare ports)', () => {
    let kafka: KafkaHandle | undefined;
    let skip: string | undefined;
    beforeAll(async () => {
      // Never the shared broker: a broker of this test's own, on ports nobody else uses, so it is always controllable.
      const [port, controllerPort, saslPort] = await sparePorts(3);
      try {
        kafka = await startKafka({ port, controllerPort, saslPort });
        if (!kafka.owned || !kafka.controllable)
          throw new Error(`a broker already answered on ${kafka.brokers.join(',')}: this test needs one of its own`);
      } catch (err) {
        skip = (err as Error).message;
        if (required) throw err;
      }
    }, 180_000);
    afterAll(async () => {
      await kafka?.stop();
    }, 60_000);

    it('kill -9 of the broker and a restart on the same log dir while messages flow: nothing is lost', async (ctx) => {
      if (skip !== undefined) ctx.skip(skip);
      const ledger = createLedger();
      const topic = unique('crash');
      const t = testTransport({
        brokers: kafka!.brokers,
        retryTiersMs: [],
        retry: { retries: 20, initialRetryTimeMs: 300, maxRetryTimeMs: 3_000 },
      });
      const app = createApp({ transport: t, logger: quiet, handlers: [handler(topic, ledger)] });
      apps.push(app);
      await app.start();
      await publishAll(app, ledger, topic, 0, 500);
      await until(() => ledger.report().handled > 50, 'some handled');
      kafka!.kill();
      const during = publishAll(app, ledger, topic, 500, 500);
      await kafka!.restart();
      await during;
      const report = await ledger.waitForAllHandled({ timeoutMs: 180_000, expected: 1000 });
      console.log(`broker crash: ${formatLedgerReport(report).split('\n')[0]}`);
      expect(report.lost, formatLedgerReport(report)).toEqual([]);
    });
  });

  it('blackhole, then reset, then heal through the fault proxy: nothing is lost', async () => {
    const [host, port] = brokers[0]!.split(':');
    const proxy = await createFaultProxy({ target: { host: host!, port: Number(port) } });
    try {
      const ledger = createLedger();
      const topic = unique('net');
      const publisher = createApp({ transport: testTransport({ retryTiersMs: [] }), logger: quiet });
      apps.push(publisher);
      await publisher.start();
      const t = testTransport({
        retryTiersMs: [],
        socketFactory: viaProxy(proxy),
        requestTimeoutMs: 5_000,
        retry: { retries: 30, initialRetryTimeMs: 200, maxRetryTimeMs: 2_000 },
      });
      const app = createApp({ transport: t, logger: quiet, handlers: [handler(topic, ledger)] });
      apps.push(app);
      await app.start();
      await publishAll(publisher, ledger, topic, 0, 300);
      await until(() => ledger.report().handled > 0, 'first messages handled');
      proxy.blackhole();
      await publishAll(publisher, ledger, topic, 300, 300);
      await until(() => proxy.stats().bytesQueued > 0, 'consumer traffic held by the blackhole');
      proxy.reset();
      await proxy.heal();
      const report = await ledger.waitForAllHandled({ timeoutMs: 180_000, expected: 600 });
      expect(report.lost, formatLedgerReport(report)).toEqual([]);
      expect(proxy.stats().resets).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
  });

  it('a parked key holds the watermark; after a restart, messages settled above it are not handled again', async () => {
    const ledger = createLedger();
    const topic = unique('parked');
    const group = unique('g');
    const failing = { on: true };
    const def = () =>
      handler(topic, ledger, {
        name: 'parked',
        group,
        retry: { maxAttempts: 1_000, backoff: { initialMs: 200, maxMs: 500, multiplier: 2, jitter: 0 } },
        handle: (m) => {
          if (m.key === 'bad' && failing.on) throw new Error('parked');
          ledger.recordHandled({ id: m.value.id, key: m.key });
        },
      });
    const t1 = testTransport({ partitions: 1, retryTiersMs: [] });
    const first = createApp({ transport: t1, logger: quiet, handlers: [def()] });
    apps.push(first);
    await first.start();
    ledger.recordPublished({ id: 'bad-0', key: 'bad' });
    await first.publish({ topic, key: 'bad', value: { id: 'bad-0' } });
    await publishAll(first, ledger, topic, 0, 300);
    await until(() => ledger.report().handled === 300, 'every good message handled past the parked key');
    const lane = first.inspect().lanes.find((l) => l.topic === topic);
    expect(lane?.committed ?? '0').toBe('0');
    await until(async () => {
      const [c] = await (await t1.kafkaAdmin()).fetchOffsets({ groupId: group, topics: [topic] });
      return c!.partitions[0]!.metadata;
    }, 'commit metadata recording the settled offsets above the watermark');
    await first.stop({ drainTimeoutMs: 1_000 });
    apps.splice(apps.indexOf(first), 1);

    failing.on = false;
    const second = createApp({
      transport: testTransport({ partitions: 1, retryTiersMs: [] }),
      logger: quiet,
      handlers: [def()],
    });
    apps.push(second);
    await second.start();
    const report = await ledger.waitForAllHandled({ timeoutMs: 120_000, expected: 301 });
    expect(report.lost).toEqual([]);
    // only the one unsettled message (the parked key) may come again; it was never handled, so: no duplicate at all
    expect(report.duplicates.count, formatLedgerReport(report)).toBeLessThanOrEqual(1);
    expect(report.duplicates.count).toBe(0);
  });
});
