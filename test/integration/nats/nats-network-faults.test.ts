import { createConsoleLogger, createApp, defineHandler, type App, type Transport } from '@partita/core';
import { natsTransport } from '@partita/nats';
import { createFaultProxy, createLedger, waitFor, type FaultProxy } from '@partita/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { startFaultDrill } from '../support/fault-drill.js';
import { deleteStreamsFor, NATS_URL, natsAvailable, uniq } from './nats-helpers.js';

// Issue 7, "network faults through the fault proxy": an app consumes through a
// TCP fault proxy in front of the machine's NATS server while a publisher,
// connected directly, keeps publishing numbered messages. After a blackhole, a
// reset (RST) and refused reconnects, every published message is handled (no
// loss; duplicates are allowed and reported), and the app's health leaves `ok`
// while the broker is unreachable and comes back to `ok` after heal.

const up = await natsAvailable();
const url = new URL(NATS_URL);
const target = { host: url.hostname, port: Number(url.port || 4222) };
const quiet = createConsoleLogger({ level: 'silent' });
const WAIT = { timeoutMs: 60_000, intervalMs: 50 };

const topics: string[] = [];
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
  if (up) await deleteStreamsFor(topics);
});

describe.skipIf(!up)('NATS network faults through the fault proxy', () => {
  it('handles every published message across a blackhole, a reset and refused reconnects', async () => {
    const topic = uniq('pt.netfault');
    topics.push(topic);
    const ledger = createLedger();
    proxy = await createFaultProxy({ target });
    const p = proxy;

    // The publisher is connected directly and creates the stream before the app subscribes.
    publisher = natsTransport({ servers: [NATS_URL], name: 'netfault-publisher', publishTimeoutMs: 10_000 });
    const pub = publisher;
    let next = 0;
    const publishBatch = async (): Promise<void> => {
      const ids = Array.from({ length: 10 }, () => next++);
      await pub.publish(
        ids.map((id) => ({ topic, value: new TextEncoder().encode(JSON.stringify({ id })), headers: {} })),
      );
      ledger.recordPublished(ids.map((id) => ({ id: String(id) })));
    };
    await publishBatch();

    app = createApp({
      transport: natsTransport({
        servers: [`nats://127.0.0.1:${p.port}`],
        name: 'netfault-app',
        reconnectTimeWaitMs: 100,
        connectTimeoutMs: 2000,
        publishTimeoutMs: 2000, // also the JetStream API timeout: health's consumer info fails fast while blackholed
        pullExpiresMs: 1000,
      }),
      logger: quiet,
      handlers: [
        defineHandler<{ id: number }>({
          name: 'netfault',
          topic,
          ordering: 'none',
          maxInFlight: 32,
          timeoutMs: 2000,
          handle(msg) {
            ledger.recordHandled({ id: String(msg.value.id), by: 'app' });
          },
        }),
      ],
    });
    const a = app;
    await a.start();

    // Continuous publishing in the background (paced so the stream stays small; this is
    // a producer's rhythm, not a wait: every wait below polls a condition).
    const drill = startFaultDrill({ app: a, ledger, publishBatch, wait: WAIT });
    stopPublishing = () => drill.stop();

    await ledger.waitForAllHandled({ expected: 50, ...WAIT });
    expect((await a.health()).status).toBe('ok');

    // (a) Blackhole: the connection stays up but no byte passes either way.
    p.blackhole();
    await drill.health(false, 'health to leave ok while blackholed');
    await drill.publishedMore(30, 'messages published during the blackhole');
    await p.heal();
    await drill.health(true, 'health back to ok after the blackhole');
    await drill.allHandled('the blackhole');

    // (b) Reset: every connection is cut with RST; the client reconnects through the proxy.
    const accepted = p.stats().accepted;
    expect(p.reset()).toBeGreaterThan(0);
    await p.heal();
    await waitFor(() => p.stats().accepted > accepted, {
      ...WAIT,
      description: 'the client to reconnect after the reset',
    });
    await drill.health(true, 'health back to ok after the reset');
    await drill.allHandled('the reset');

    // (c) Refuse: the listener is closed. refuse() leaves current connections alone, so
    // they are also cut (refuse + reset keeps everything cut) and reconnects get ECONNREFUSED.
    await p.refuse();
    const cut = p.stats().accepted;
    p.reset();
    await drill.health(false, 'health to leave ok while connections are refused');
    await drill.publishedMore(30, 'messages published while refused');
    expect(p.stats().accepted).toBe(cut); // nothing got through while refusing
    await p.heal();
    await waitFor(() => p.stats().accepted > cut, { ...WAIT, description: 'the client to reconnect after heal' });
    await drill.health(true, 'health back to ok after refusing');
    await drill.allHandled('refused connections');

    await drill.finish('nats network faults');
  }, 120_000);
});
