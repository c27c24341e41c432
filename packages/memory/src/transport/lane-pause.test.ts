import {
  ConfigError,
  LaneNotFoundError,
  createApp,
  defineHandler,
  type App,
  type LaneSnapshot,
  type Logger,
  type Message,
  createConsoleLogger,
} from '@partita/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBroker } from '../broker/create-memory-broker.js';
import type { MemoryBroker } from '../broker/memory-broker.js';
import { waitFor } from '../testing-support/recording-sink.test-support.js';
import { memoryTransport } from './memory-transport.js';

const quiet: Logger = createConsoleLogger({ level: 'silent' });
const uniq = (p: string): string => `${p}-${Math.random().toString(36).slice(2, 8)}`;
const apps: App[] = [];
const brokers: MemoryBroker[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.stop({ drainTimeoutMs: 2000 }).catch(() => {});
  for (const b of brokers.splice(0)) await b.close();
});

const lane = (app: App, partition: number): LaneSnapshot | undefined =>
  app.inspect().lanes.find((l) => l.partition === partition && l.state !== 'stopped');
/** Let the event loop run a few turns (deliveries are scheduled per turn). */
const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

function broker(partitions: number): MemoryBroker {
  const b = createMemoryBroker({ defaultPartitions: partitions });
  brokers.push(b);
  return b;
}

describe('app.pauseLane / app.resumeLane on the memory broker', () => {
  it('pause stops delivery for that lane only; nothing is lost; resume continues in order', async () => {
    const b = broker(2);
    const topic = uniq('orders');
    const seen: Record<number, number[]> = { 0: [], 1: [] };
    const app = createApp({
      transport: memoryTransport(b),
      logger: quiet,
      handlers: [
        defineHandler<{ n: number }>({
          name: 'billing',
          topic,
          ordering: 'partition',
          handle: (m: Message<{ n: number }>) => {
            seen[m.partition]!.push(m.value.n);
          },
        }),
      ],
    });
    apps.push(app);
    const paused: string[] = [];
    app.on('lane.paused', (e) => paused.push(`${e.lane.partition}:${e.reason}`));
    await app.start();
    await waitFor(() => app.inspect().lanes.length === 2, 'two lanes');
    const publish = (from: number, count: number): Promise<void> =>
      app.publish(
        Array.from({ length: count }, (_, i) => ({ topic, partition: (from + i) % 2, value: { n: from + i } })),
      );
    await publish(0, 10);
    await waitFor(() => seen[0]!.length === 5 && seen[1]!.length === 5, 'the first ten');

    const affected = app.pauseLane({ handler: 'billing', partition: 0 });
    expect(affected.map((l) => [l.partition, l.state, l.pauseReason])).toEqual([[0, 'paused', 'operator']]);
    expect(paused).toEqual(['0:operator']);
    await publish(10, 200);
    await waitFor(() => seen[1]!.length === 105, 'partition 1 keeps going');
    await turns(20);
    expect(seen[0]!.length, 'nothing handled on the paused lane').toBe(5);
    expect(lane(app, 0)).toMatchObject({ state: 'paused', pauseReason: 'operator', machine: { flow: 'paused' } });
    expect(lane(app, 1)).not.toHaveProperty('pauseReason');

    const resumed = app.resumeLane({ topic, partition: 0 });
    expect(resumed.map((l) => l.partition)).toEqual([0]);
    await waitFor(() => seen[0]!.length === 105, 'partition 0 handled after the resume');
    const evens = Array.from({ length: 105 }, (_, i) => i * 2);
    expect(seen[0]).toEqual(evens);
    expect(seen[1]).toEqual(evens.map((n) => n + 1));
    expect(lane(app, 0)).not.toHaveProperty('pauseReason');
    await app.stop();
    expect(b.committed({ group: 'billing', topic, partition: 0 })?.offset).toBe(105);
  });

  it('backpressure easing does not lift the operator pause; resume does', async () => {
    const b = broker(1);
    const topic = uniq('bulk');
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const seen: number[] = [];
    const app = createApp({
      transport: memoryTransport(b),
      logger: quiet,
      // 20 records of ~1 KB fill a 10 KB window: the lane pauses on bytes, and resumes at half.
      maxBufferedBytes: 10_000,
      handlers: [
        defineHandler<{ n: number; pad: string }>({
          name: 'slow',
          topic,
          ordering: 'none',
          maxInFlight: 16,
          handle: async (m: Message<{ n: number; pad: string }>) => {
            await gate;
            seen.push(m.value.n);
          },
        }),
      ],
    });
    apps.push(app);
    await app.start();
    const pad = 'x'.repeat(1000);
    await app.publish(Array.from({ length: 20 }, (_, n) => ({ topic, value: { n, pad } })));
    await waitFor(() => lane(app, 0)?.pauseReason === 'buffered bytes', 'paused by backpressure');
    await waitFor(() => lane(app, 0)?.inFlight === 16, 'sixteen in flight');
    app.pauseLane({ handler: 'slow' });
    expect(lane(app, 0)?.pauseReason).toBe('operator');
    // The attempts running finish; the window falls under half, which would resume a backpressure pause.
    open();
    await waitFor(() => seen.length === 16 && lane(app, 0)?.inFlight === 0, 'running attempts finish');
    await turns(20);
    expect(seen.length, 'nothing new starts while held').toBe(16);
    expect(lane(app, 0)).toMatchObject({ state: 'paused', pauseReason: 'operator' });
    await app.publish({ topic, value: { n: 20, pad } });
    await turns(20);
    expect(seen.length).toBe(16);

    app.resumeLane({ topic });
    await waitFor(() => seen.length === 21, 'the rest after the resume');
    expect(new Set(seen).size).toBe(21);
    expect(lane(app, 0)?.state).not.toBe('paused');
  });

  it('a lane the operator paused comes back paused when it is assigned to this app again', async () => {
    const b = broker(4);
    const topic = uniq('shared');
    const byApp = { a: [] as number[], b: [] as number[] };
    const mk = (name: 'a' | 'b'): App =>
      createApp({
        transport: memoryTransport(b),
        logger: quiet,
        handlers: [
          defineHandler<{ n: number }>({
            name: 'shared',
            topic,
            handle: (m: Message<{ n: number }>) => {
              byApp[name].push(m.value.n);
            },
          }),
        ],
      });
    const a = mk('a');
    const other = mk('b');
    apps.push(a, other);
    await a.start();
    await waitFor(() => a.inspect().lanes.length === 4, 'a owns four lanes');
    expect(a.pauseLane({ handler: 'shared' })).toHaveLength(4);
    const revoked: number[] = [];
    a.on('lane.revoked', (e) => revoked.push(e.lane.partition));
    await other.start();
    await waitFor(() => other.inspect().lanes.length > 0 && revoked.length > 0, 'a gives lanes to b');
    await other.stop();
    await waitFor(() => a.inspect().lanes.filter((l) => l.state !== 'stopped').length === 4, 'a owns four again');
    for (const p of revoked) expect(lane(a, p), `partition ${p} again`).toMatchObject({ pauseReason: 'operator' });
    await a.publish(Array.from({ length: 40 }, (_, n) => ({ topic, partition: n % 4, value: { n } })));
    await turns(50);
    expect(byApp.a).toEqual([]);
    a.resumeLane({ group: 'shared' });
    await waitFor(() => byApp.a.length === 40, 'handled after the resume');
  });

  it('a selector naming no lane, or malformed, is refused with the fix', async () => {
    const b = broker(1);
    const topic = uniq('t');
    const app = createApp({
      transport: memoryTransport(b),
      logger: quiet,
      handlers: [defineHandler({ name: 'h', topic, handle: () => undefined })],
    });
    apps.push(app);
    expect(() => app.pauseLane({ handler: 'h' })).toThrow(/no lane matches .*is the app running/);
    await app.start();
    await waitFor(() => app.inspect().lanes.length === 1, 'one lane');
    expect(() => app.pauseLane({ handler: 'nope' })).toThrow(LaneNotFoundError);
    expect(() => app.resumeLane({ topic, partition: 3 })).toThrow(new RegExp(`lanes: h ${topic}\\[0\\]`));
    expect(() => app.pauseLane({})).toThrow(ConfigError);
    expect(() => app.pauseLane({ partition: -1 })).toThrow(/"selector.partition" must be an integer/);
    expect(() => app.pauseLane({ handler: 'h', lane: 1 } as never)).toThrow(/selector field "lane" is unknown/);
    expect(() => app.pauseLane(null as never)).toThrow(ConfigError);
    expect(lane(app, 0)?.state).not.toBe('paused');
    // Resuming a lane the operator did not pause leaves it as it is.
    expect(app.resumeLane({ handler: 'h' })[0]?.state).not.toBe('paused');
  });
});
