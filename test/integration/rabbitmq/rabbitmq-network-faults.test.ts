import { createConsoleLogger, createApp, defineHandler, type App, type Transport } from '@partita/core';
import { rabbitmqTransport } from '@partita/rabbitmq';
import {
  createFaultProxy,
  createLedger,
  formatLedgerReport,
  uniqueName,
  waitFor,
  type FaultProxy,
} from '@partita/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { startFaultDrill } from '../support/fault-drill.js';
import { RABBITMQ_TARGET, RABBITMQ_URL, rabbitAvailable, RabbitNames } from './rabbitmq-helpers.js';

// Issue 15: the consumer's connection is cut through the fault proxy while
// messages flow: a reset (RST), then a blackhole (heartbeats stop; both ends
// give the connection up), each healed. The connector reconnects, lanes are
// revoked and assigned again, acks of the dead channel are never sent on the
// new one, and every published message is handled (duplicates are counted).

const up = await rabbitAvailable();
const PARTITIONS = 2;
const names = new RabbitNames(PARTITIONS);
const quiet = createConsoleLogger({ level: 'silent' });
const WAIT = { timeoutMs: 90_000, intervalMs: 50 };

let app: App | undefined;
let publisher: Transport | undefined;
let proxy: FaultProxy | undefined;
let stopPublishing: (() => Promise<void>) | undefined;

afterAll(async () => {
  await stopPublishing?.().catch(() => undefined);
  await proxy?.heal().catch(() => undefined);
  await app?.stop({ drainTimeoutMs: 2000 }).catch(() => undefined);
  await publisher?.close().catch(() => undefined);
  await proxy?.close().catch(() => undefined);
  if (up) await names.deleteAll();
}, 60_000);

describe.skipIf(!up)('RabbitMQ network faults through the fault proxy', () => {
  it('handles every published message across a reset and a blackhole; lanes come back; duplicates counted', async () => {
    const topic = uniqueName('rmq-netfault');
    const ledger = createLedger();
    proxy = await createFaultProxy({ target: RABBITMQ_TARGET });
    const p = proxy;
    const assigned: number[] = [];
    const revoked: number[] = [];

    app = createApp({
      transport: names.track(
        rabbitmqTransport({
          url: `amqp://guest:guest@127.0.0.1:${p.port}`,
          name: 'netfault-app',
          partitions: PARTITIONS,
          heartbeatSeconds: 1,
          reconnectTimeMs: 200,
          connectTimeoutMs: 2000,
        }),
      ),
      logger: quiet,
      handlers: [
        defineHandler<{ id: number }>({
          name: uniqueName('netfault'),
          topic,
          ordering: 'key',
          maxInFlight: 32,
          handle(msg) {
            ledger.recordHandled({ id: String(msg.value.id), key: msg.key, by: 'app', attempt: msg.attempt });
          },
        }),
      ],
    });
    const a = app;
    a.on('lane.assigned', (l) => assigned.push(l.lane.partition));
    a.on('lane.revoked', (l) => revoked.push(l.lane.partition));
    await a.start();
    await waitFor(() => a.inspect().lanes.filter((l) => l.state !== 'stopped').length === PARTITIONS, {
      ...WAIT,
      description: 'both partitions assigned',
    });

    // The publisher is connected directly.
    publisher = names.track(
      rabbitmqTransport({ url: RABBITMQ_URL, name: 'netfault-publisher', partitions: PARTITIONS }),
    );
    const pub = publisher;
    let next = 0;
    const publishBatch = async (): Promise<void> => {
      const ids = Array.from({ length: 10 }, () => next++);
      await pub.publish(
        ids.map((id) => ({
          topic,
          key: `k${id % 10}`,
          value: new TextEncoder().encode(JSON.stringify({ id })),
          headers: {},
        })),
      );
      ledger.recordPublished(ids.map((id) => ({ id: String(id), key: `k${id % 10}` })));
    };
    const drill = startFaultDrill({ app: a, ledger, publishBatch, wait: WAIT });
    stopPublishing = () => drill.stop();

    await ledger.waitForAllHandled({ expected: 50, ...WAIT });
    expect((await a.health()).status).toBe('ok');

    // (a) Reset: RST on every connection; the client reconnects through the proxy.
    const accepted = p.stats().accepted;
    const revokedBefore = revoked.length;
    expect(p.reset()).toBeGreaterThan(0);
    await waitFor(() => p.stats().accepted > accepted, { ...WAIT, description: 'a reconnect after the reset' });
    await waitFor(() => revoked.length >= revokedBefore + PARTITIONS, {
      ...WAIT,
      description: 'the lanes of the dead channels to be revoked',
    });
    await drill.health(true, 'health ok after the reset');
    await drill.allHandled('the reset');

    // (b) Blackhole: no byte passes; heartbeats time out on both sides, then heal.
    const assignedBefore = assigned.length;
    const revokedBeforeBlackhole = revoked.length;
    p.blackhole();
    await drill.health(false, 'health to leave ok');
    // The client gives the silent connection up after two missed heartbeats: its lanes are revoked.
    await waitFor(() => revoked.length >= revokedBeforeBlackhole + PARTITIONS, {
      ...WAIT,
      description: 'the lanes to be revoked once the heartbeat gave the connection up',
    });
    await drill.publishedMore(30, 'messages published during the blackhole');
    await p.heal();
    await drill.health(true, 'health ok after the blackhole');
    await waitFor(() => assigned.length >= assignedBefore + 1, {
      ...WAIT,
      description: 'lanes assigned again after the blackhole',
    });
    await drill.allHandled('the blackhole');

    await drill.finish('rabbitmq network faults');
  }, 240_000);

  it('a publish in flight when its connection is cut is published again on the next connection: it resolves and nothing is lost', async () => {
    const topic = uniqueName('rmq-pubcut');
    const ledger = createLedger();
    const cutProxy = await createFaultProxy({ target: RABBITMQ_TARGET });
    const consumer = createApp({
      transport: names.track(rabbitmqTransport({ url: RABBITMQ_URL, name: 'pubcut-consumer' })),
      logger: quiet,
      handlers: [
        defineHandler<{ id: number }>({
          name: uniqueName('pubcut'),
          topic,
          ordering: 'none',
          handle: (msg) => ledger.recordHandled({ id: String(msg.value.id), by: 'consumer' }),
        }),
      ],
    });
    const pub = names.track(
      rabbitmqTransport({
        url: `amqp://guest:guest@127.0.0.1:${cutProxy.port}`,
        name: 'pubcut-publisher',
        reconnectTimeMs: 100,
        publishTimeoutMs: 30_000,
      }),
    );
    try {
      await consumer.start();
      await waitFor(() => consumer.inspect().lanes.some((l) => l.state !== 'stopped'), {
        ...WAIT,
        description: 'the consumer lane',
      });
      // A first record declares the topic (a declaration cut off would reject the publish: retryable).
      await pub.publish([{ topic, value: new TextEncoder().encode(JSON.stringify({ id: -1 })), headers: {} }]);
      const total = 300;
      ledger.recordPublished(Array.from({ length: total }, (_, id) => ({ id: String(id) })));
      // Latency keeps the confirms in flight; the reset cuts the connection under them.
      cutProxy.latency(300);
      const accepted = cutProxy.stats().accepted;
      const publishing = pub.publish(
        Array.from({ length: total }, (_, id) => ({
          topic,
          value: new TextEncoder().encode(JSON.stringify({ id })),
          headers: {},
        })),
      );
      await waitFor(() => cutProxy.stats().bytesQueued > 0, { ...WAIT, description: 'records on their way' });
      expect(cutProxy.reset()).toBeGreaterThan(0);
      await cutProxy.heal();
      await publishing; // resolves: the records in flight were published again after the reconnect
      expect(cutProxy.stats().accepted).toBeGreaterThan(accepted);
      const report = await ledger.waitForAllHandled({ expected: total, ...WAIT });
      console.log(`rabbitmq publish across a cut: ${formatLedgerReport(report)}`);
      expect(report.lost).toEqual([]);
    } finally {
      await consumer.stop({ drainTimeoutMs: 2000 }).catch(() => undefined);
      await pub.close().catch(() => undefined);
      await cutProxy.close().catch(() => undefined);
    }
  }, 120_000);
});
