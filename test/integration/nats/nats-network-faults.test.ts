import { createApp, defineHandler, type App, type Transport } from '@partita/core';
import { natsTransport } from '@partita/nats';
import { createFaultProxy, createLedger, formatLedgerReport, waitFor, type FaultProxy } from '@partita/testing';
import { afterAll, describe, expect, it } from 'vitest';
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
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
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
    let publishing = true;
    let publishError: unknown;
    const loop = (async () => {
      while (publishing) {
        try {
          await publishBatch();
        } catch (err) {
          publishError = err;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    stopPublishing = async () => {
      publishing = false;
      await loop;
    };

    const published = (): number => ledger.report().published;
    const statusOf = async (): Promise<string> => (await a.health()).status;
    const allHandled = async (what: string): Promise<void> => {
      // Publish more after the fault, then wait until every id published so far was handled.
      const target = published() + 50;
      await waitFor(() => published() >= target, { ...WAIT, description: `50 more messages published after ${what}` });
      await ledger.waitForAllHandled({ expected: published(), ...WAIT });
    };

    await ledger.waitForAllHandled({ expected: 50, ...WAIT });
    expect(await statusOf()).toBe('ok');

    // (a) Blackhole: the connection stays up but no byte passes either way.
    p.blackhole();
    await waitFor(async () => (await statusOf()) !== 'ok', {
      ...WAIT,
      description: 'health to leave ok while blackholed',
    });
    const duringBlackhole = published() + 30;
    await waitFor(() => published() >= duringBlackhole, {
      ...WAIT,
      description: 'messages published during the blackhole',
    });
    await p.heal();
    await waitFor(async () => (await statusOf()) === 'ok', {
      ...WAIT,
      description: 'health back to ok after the blackhole',
    });
    await allHandled('the blackhole');

    // (b) Reset: every connection is cut with RST; the client reconnects through the proxy.
    const accepted = p.stats().accepted;
    expect(p.reset()).toBeGreaterThan(0);
    await p.heal();
    await waitFor(() => p.stats().accepted > accepted, {
      ...WAIT,
      description: 'the client to reconnect after the reset',
    });
    await waitFor(async () => (await statusOf()) === 'ok', {
      ...WAIT,
      description: 'health back to ok after the reset',
    });
    await allHandled('the reset');

    // (c) Refuse: the listener is closed. refuse() leaves current connections alone, so
    // they are also cut (refuse + reset keeps everything cut) and reconnects get ECONNREFUSED.
    await p.refuse();
    const cut = p.stats().accepted;
    p.reset();
    await waitFor(async () => (await statusOf()) !== 'ok', {
      ...WAIT,
      description: 'health to leave ok while connections are refused',
    });
    const duringRefuse = published() + 30;
    await waitFor(() => published() >= duringRefuse, { ...WAIT, description: 'messages published while refused' });
    expect(p.stats().accepted).toBe(cut); // nothing got through while refusing
    await p.heal();
    await waitFor(() => p.stats().accepted > cut, { ...WAIT, description: 'the client to reconnect after heal' });
    await waitFor(async () => (await statusOf()) === 'ok', {
      ...WAIT,
      description: 'health back to ok after refusing',
    });
    await allHandled('refused connections');

    await stopPublishing();
    const report = await ledger.waitForAllHandled({ expected: published(), ...WAIT });
    console.log(`nats network faults: ${formatLedgerReport(report)}`);
    expect(publishError).toBeUndefined();
    expect(report.lost).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.handled).toBe(report.published);
    expect(report.published).toBe(next);
  }, 120_000);
});
