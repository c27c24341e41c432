import { createConsoleLogger, createApp, defineHandler, type App, type Transport } from '@partita/core';
import { redisTransport } from '@partita/redis';
import { brokersRequired, createFaultProxy, createLedger, waitFor, type FaultProxy } from '@partita/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { startFaultDrill } from '../support/fault-drill.js';
import { deletePrefix, REDIS_TARGET, REDIS_URL, redisAvailable, uniquePrefix } from './redis-helpers.js';

// An app consumes through a TCP fault proxy in front of the machine's Redis
// while a publisher, connected directly, keeps publishing numbered keyed
// messages. Across a blackhole (longer than the lease), a reset (RST) and
// refused reconnects, every published message is handled (no loss;
// duplicates allowed and reported), and health leaves `ok` while Redis is
// unreachable and comes back after heal.

const available = await redisAvailable();
if (available !== true && brokersRequired()) throw new Error(`Redis is required: ${available}`);
const quiet = createConsoleLogger({ level: 'silent' });
const WAIT = { timeoutMs: 90_000, intervalMs: 50 };
const prefix = uniquePrefix('netfault');
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
  if (available === true) await deletePrefix(prefix);
});

describe.skipIf(available !== true)('Redis network faults through the fault proxy', () => {
  it('handles every published message across a blackhole, a reset and refused reconnects', async () => {
    const topic = 'netfault';
    const ledger = createLedger();
    proxy = await createFaultProxy({ target: REDIS_TARGET });
    const p = proxy;
    // A short claim timeout: entries delivered to a read whose reply the cut lost are claimed again soon.
    const options = {
      keyPrefix: prefix,
      partitions: 2,
      leaseMs: 1500,
      claimTimeoutMs: 3000,
      commandTimeoutMs: 1000,
      connectTimeoutMs: 1000,
    };
    publisher = redisTransport({ url: REDIS_URL, ...options });
    const pub = publisher;
    let next = 0;
    const publishBatch = async (): Promise<void> => {
      const ids = Array.from({ length: 10 }, () => next++);
      await pub.publish(
        ids.map((id) => ({
          topic,
          key: `k${id % 8}`,
          value: new TextEncoder().encode(JSON.stringify({ id })),
          headers: { 'content-type': 'application/json' },
        })),
      );
      ledger.recordPublished(ids.map((id) => ({ id: String(id), key: `k${id % 8}` })));
    };
    await publishBatch();
    app = createApp({
      transport: redisTransport({ url: `redis://127.0.0.1:${p.port}`, ...options }),
      logger: quiet,
      handlers: [
        defineHandler<{ id: number }>({
          name: 'netfault',
          topic,
          ordering: 'key',
          maxInFlight: 32,
          timeoutMs: 2000,
          handle(msg) {
            ledger.recordHandled({ id: String(msg.value.id), key: msg.key, by: 'app', attempt: msg.attempt });
          },
        }),
      ],
    });
    const a = app;
    await a.start();

    // Continuous publishing in the background, paced like a producer (every wait below polls a condition).
    const drill = startFaultDrill({ app: a, ledger, publishBatch, wait: WAIT });
    stopPublishing = () => drill.stop();

    await ledger.waitForAllHandled({ expected: 50, ...WAIT });
    await drill.health(true, 'health ok at the start');

    // (a) Blackhole, longer than the lease: the app's leases lapse; it takes its partitions back after heal.
    p.blackhole();
    await drill.health(false, 'health to leave ok while blackholed');
    await drill.publishedMore(100, 'messages published during the blackhole');
    // The app cannot renew its leases: after one lease it stops its lanes itself (another member could own them).
    const running = (): number => a.inspect().lanes.filter((l) => l.state !== 'stopped').length;
    await waitFor(() => running() === 0, {
      ...WAIT,
      description: 'the app to give up its lanes once its leases lapsed',
    });
    await p.heal();
    await drill.health(true, 'health back to ok after the blackhole');
    await waitFor(() => running() === 2, { ...WAIT, description: 'the app to take its two partitions back' });
    await drill.allHandled('the blackhole');

    // (b) Reset: every connection is cut with RST; the client reconnects through the proxy.
    const accepted = p.stats().accepted;
    expect(p.reset()).toBeGreaterThan(0);
    await waitFor(() => p.stats().accepted > accepted, {
      ...WAIT,
      description: 'the client to reconnect after the reset',
    });
    await drill.allHandled('the reset');

    // (c) Refuse: the listener is closed and current connections are cut; reconnects get ECONNREFUSED.
    await p.refuse();
    const cut = p.stats().accepted;
    p.reset();
    await drill.health(false, 'health to leave ok while refused');
    await drill.publishedMore(30, 'messages published while refused');
    expect(p.stats().accepted).toBe(cut);
    await p.heal();
    await waitFor(() => p.stats().accepted > cut, { ...WAIT, description: 'the client to reconnect after heal' });
    await drill.health(true, 'health back to ok after refusing');
    await drill.allHandled('refused connections');

    // Entries a cut read's lost reply left pending are replayed before new ones: key order holds.
    await drill.finish('redis network faults', { keyOrder: true });
  }, 180_000);
});
