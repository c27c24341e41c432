import { ClosedError, ConfigError, TopicNotFoundError, type InboundRecord, type SubscriptionSpec } from '@partita/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBroker } from '../broker/create-memory-broker.js';
import type { MemoryBroker } from '../broker/memory-broker.js';
import { dec, enc, recordingSink, waitFor } from '../testing-support/recording-sink.test-support.js';
import { memoryTransport } from './memory-transport.js';

const spec = (topic: string, group = 'g', extra: Partial<SubscriptionSpec> = {}): SubscriptionSpec => ({
  group,
  topic,
  handler: 'h',
  maxInFlight: 64,
  timeoutMs: 1000,
  maxAttempts: 3,
  startFrom: 'earliest',
  ...extra,
});
const uniq = (p: string): string => `${p}-${Math.random().toString(36).slice(2, 8)}`;
const offsets = (recs: readonly InboundRecord[]): number[] => recs.map((r) => Number(r.offset));

let brokers: MemoryBroker[] = [];
const newBroker = (o: Parameters<typeof createMemoryBroker>[0] = {}): MemoryBroker => {
  const b = createMemoryBroker(o);
  brokers.push(b);
  return b;
};
afterEach(async () => {
  await Promise.all(brokers.map((b) => b.close()));
  brokers = [];
});

describe('memoryTransport', () => {
  it('declares the offset capabilities', () => {
    const t = memoryTransport(newBroker());
    expect(t.name).toBe('memory');
    expect(t.capabilities).toEqual({
      ackModel: 'offset',
      partitions: true,
      consumerGroups: true,
      nativeDelay: true,
      priority: true,
      ttl: true,
      replay: true,
    });
  });

  it('assigns every partition to a single member and delivers each partition in offset order', async () => {
    const broker = newBroker({ defaultPartitions: 4 });
    const t = memoryTransport(broker);
    const topic = uniq('orders');
    const rec = recordingSink();
    await t.subscribe(spec(topic), rec.sink);
    expect(rec.lanes.map((l) => l.handle.id.partition).sort()).toEqual([0, 1, 2, 3]);
    const batch = Array.from({ length: 400 }, (_, i) => ({
      topic,
      key: `k${i % 37}`,
      value: enc(`v${i}`),
      headers: {},
    }));
    await t.publish(batch);
    await waitFor(() => rec.all().length === 400, '400 records');
    for (const lane of rec.lanes) {
      const offs = offsets(lane.records);
      expect(offs).toEqual(offs.map((_, i) => i));
    }
    // each key lands on one partition, in publish order
    const byKey = new Map<string, { p: number; vals: number[] }>();
    for (const lane of rec.lanes)
      for (const r of lane.records) {
        const e = byKey.get(r.key!) ?? { p: lane.handle.id.partition, vals: [] };
        expect(e.p).toBe(lane.handle.id.partition);
        e.vals.push(Number(dec(r.value).slice(1)));
        byKey.set(r.key!, e);
      }
    for (const e of byKey.values()) expect(e.vals).toEqual([...e.vals].sort((a, b) => a - b));
  });

  it('delivers asynchronously, never inside publish, in batches of at most maxBatch', async () => {
    const broker = newBroker();
    const t = memoryTransport(broker, { maxBatch: 100 });
    const topic = uniq('t');
    const rec = recordingSink();
    await t.subscribe(spec(topic), rec.sink);
    const p = t.publish(Array.from({ length: 1050 }, (_, i) => ({ topic, value: enc(String(i)), headers: {} })));
    expect(rec.all()).toHaveLength(0);
    await p;
    await waitFor(() => rec.all().length === 1050, 'all records');
    expect(Math.max(...rec.lanes[0]!.batches)).toBeLessThanOrEqual(100);
    expect(offsets(rec.all())).toEqual(Array.from({ length: 1050 }, (_, i) => i));
  });

  it('stops delivering while paused and continues after resume', async () => {
    const broker = newBroker();
    const t = memoryTransport(broker, { maxBatch: 10 });
    const topic = uniq('t');
    const rec = recordingSink({ onDeliver: (lane) => lane.handle.pause() });
    await t.subscribe(spec(topic), rec.sink);
    await t.publish(Array.from({ length: 30 }, (_, i) => ({ topic, value: enc(String(i)), headers: {} })));
    await waitFor(() => rec.all().length === 10, 'first batch');
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(rec.all()).toHaveLength(10);
    rec.lanes[0]!.handle.resume();
    await waitFor(() => rec.all().length === 20, 'second batch after resume');
    rec.lanes[0]!.handle.resume();
    await waitFor(() => rec.all().length === 30, 'third batch');
    expect(offsets(rec.all())).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('starts a new group at the earliest or latest offset per startFrom, and an existing group at its commit', async () => {
    const broker = newBroker();
    const t = memoryTransport(broker);
    const topic = uniq('t');
    await t.publish([0, 1, 2].map((i) => ({ topic, value: enc(String(i)), headers: {} })));
    const early = recordingSink();
    const late = recordingSink();
    await t.subscribe(spec(topic, 'early'), early.sink);
    await t.subscribe(spec(topic, 'late', { startFrom: 'latest' }), late.sink);
    await t.publish([{ topic, value: enc('3'), headers: {} }]);
    await waitFor(() => early.all().length === 4 && late.all().length === 1, 'deliveries');
    expect(offsets(late.all())).toEqual([3]);
    broker.commit({ group: 'again', topic, partition: 0, offset: 2, metadata: 'm1' });
    const again = recordingSink();
    await t.subscribe(spec(topic, 'again'), again.sink);
    await waitFor(() => again.all().length === 2, 'from commit');
    expect(offsets(again.all())).toEqual([2, 3]);
    expect(again.lanes[0]!.handle.committedMetadata).toBe('m1');
  });

  it('stores commits with metadata and rejects commits for lanes no longer owned', async () => {
    const broker = newBroker({ defaultPartitions: 2 });
    const t1 = memoryTransport(broker);
    const t2 = memoryTransport(broker);
    const topic = uniq('t');
    const a = recordingSink();
    await t1.subscribe(spec(topic), a.sink);
    const lane1 = a.lanes.find((l) => l.handle.id.partition === 1)!;
    expect(await lane1.handle.commit('0', 'meta-0')).toBe(true);
    expect(broker.committed({ group: 'g', topic, partition: 1 })).toEqual({ offset: 0, metadata: 'meta-0' });
    const b = recordingSink();
    await t2.subscribe(spec(topic), b.sink);
    // partition 1 moved to the second member: the old handle's commit is refused and stores nothing
    expect(b.lanes.map((l) => l.handle.id.partition)).toEqual([1]);
    expect(await lane1.handle.commit('5', 'zombie')).toBe(false);
    expect(broker.committed({ group: 'g', topic, partition: 1 })).toEqual({ offset: 0, metadata: 'meta-0' });
    expect(await b.lanes[0]!.handle.commit('0', 'new-owner')).toBe(true);
  });

  it('rebalances: the losing member drains and commits inside revoked before the new owner starts at that commit', async () => {
    const broker = newBroker({ defaultPartitions: 4 });
    const topic = uniq('t');
    const t1 = memoryTransport(broker);
    const t2 = memoryTransport(broker);
    const a = recordingSink({
      onRevoke: async (lane) => {
        await new Promise((r) => setTimeout(r, 5));
        const last = lane.records.at(-1);
        await lane.handle.commit(last ? String(Number(last.offset) + 1) : '0', 'final');
      },
    });
    await t1.subscribe(spec(topic), a.sink);
    await t1.publish(
      Array.from({ length: 200 }, (_, i) => ({ topic, partition: i % 4, value: enc(String(i)), headers: {} })),
    );
    await waitFor(() => a.all().length === 200, 'first member got all');
    const b = recordingSink();
    await t2.subscribe(spec(topic), b.sink);
    // round robin by join order: member 1 keeps 0 and 2, member 2 gets 1 and 3
    expect(b.lanes.map((l) => l.handle.id.partition).sort()).toEqual([1, 3]);
    for (const p of [1, 3]) {
      const i = a.events.indexOf(`revoked:${p}`);
      expect(i).toBeGreaterThanOrEqual(0);
      expect(b.lanes.find((l) => l.handle.id.partition === p)!.handle.committedMetadata).toBe('final');
    }
    await t1.publish(
      Array.from({ length: 40 }, (_, i) => ({ topic, partition: i % 4, value: enc(`n${i}`), headers: {} })),
    );
    await waitFor(() => b.all().length === 20, 'new owner got only new records');
    expect(b.all().every((r) => dec(r.value).startsWith('n'))).toBe(true);
    // the first member leaves: its partitions go to the second, which starts at their commits
    await t1.close();
    await waitFor(() => b.lanes.filter((l) => !l.revoked).length === 4, 'second owns all');
    expect(a.lanes.every((l) => l.revoked)).toBe(true);
  });

  it('several members: every record is delivered to exactly one member when each commits what it got', async () => {
    const broker = newBroker({ defaultPartitions: 6 });
    const topic = uniq('t');
    const sinks = [0, 1, 2].map(() =>
      recordingSink({
        onDeliver: (lane, recs) => void lane.handle.commit(String(Number(recs.at(-1)!.offset) + 1)),
      }),
    );
    const transports = sinks.map(() => memoryTransport(broker));
    for (let i = 0; i < 3; i++) await transports[i]!.subscribe(spec(topic), sinks[i]!.sink);
    const owners = sinks.map((s) =>
      s.lanes
        .filter((l) => !l.revoked)
        .map((l) => l.handle.id.partition)
        .sort(),
    );
    expect(owners).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    await transports[0]!.publish(
      Array.from({ length: 600 }, (_, i) => ({ topic, key: `k${i}`, value: enc(String(i)), headers: {} })),
    );
    await waitFor(() => sinks.reduce((n, s) => n + s.all().length, 0) === 600, 'all delivered');
    const seen = sinks.flatMap((s) => s.all().map((r) => dec(r.value)));
    expect(new Set(seen).size).toBe(600);
  });

  it('subscription.close revokes its lanes and leaves; close is idempotent; publish after close is ClosedError', async () => {
    const broker = newBroker({ defaultPartitions: 2 });
    const t = memoryTransport(broker);
    const topic = uniq('t');
    const rec = recordingSink();
    const sub = await t.subscribe(spec(topic), rec.sink);
    await Promise.all([sub.close(), sub.close()]);
    expect(rec.events.filter((e) => e.startsWith('revoked')).sort()).toEqual(['revoked:0', 'revoked:1']);
    await t.publish([{ topic, value: enc('x'), headers: {} }]);
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    expect(rec.all()).toHaveLength(0);
    await Promise.all([t.close(), t.close()]);
    await expect(t.publish([{ topic, value: enc('x'), headers: {} }])).rejects.toBeInstanceOf(ClosedError);
    await expect(t.subscribe(spec(topic), rec.sink)).rejects.toBeInstanceOf(ClosedError);
    expect((await t.health()).status).toBe('down');
  });

  it('transport close revokes every lane of every subscription, the broker stays usable', async () => {
    const broker = newBroker();
    const t = memoryTransport(broker);
    const a = recordingSink();
    const b = recordingSink();
    await t.subscribe(spec(uniq('a')), a.sink);
    await t.subscribe(spec(uniq('b')), b.sink);
    await t.close();
    expect(a.lanes[0]!.revoked && b.lanes[0]!.revoked).toBe(true);
    const t2 = memoryTransport(broker);
    await t2.publish([{ topic: 'still-open', value: enc('x'), headers: {} }]);
    expect(broker.fetch({ group: 'x', topic: 'still-open', partition: 0 })).toHaveLength(1);
  });

  it('raises TopicNotFoundError on subscribe and publish when autoCreateTopics is false', async () => {
    const broker = newBroker({ autoCreateTopics: false });
    const t = memoryTransport(broker);
    await expect(t.subscribe(spec('missing'), recordingSink().sink)).rejects.toBeInstanceOf(TopicNotFoundError);
    await expect(t.publish([{ topic: 'missing', value: enc('x'), headers: {} }])).rejects.toBeInstanceOf(
      TopicNotFoundError,
    );
    broker.createTopic('present', { partitions: 3 });
    const rec = recordingSink();
    await t.subscribe(spec('present'), rec.sink);
    expect(rec.lanes).toHaveLength(3);
  });

  it('honours delayMs through native delay', async () => {
    const { createVirtualClock } = await import('@partita/core');
    const clock = createVirtualClock(1000);
    const broker = newBroker({ clock });
    const t = memoryTransport(broker);
    const topic = uniq('t');
    const rec = recordingSink();
    await t.subscribe(spec(topic), rec.sink);
    await t.publish([
      { topic, value: enc('later'), headers: {}, delayMs: 500 },
      { topic, value: enc('now'), headers: {} },
    ]);
    await waitFor(() => rec.all().length === 1, 'immediate record');
    await clock.advance(499);
    expect(rec.all().map((r) => dec(r.value))).toEqual(['now']);
    await clock.advance(1);
    await waitFor(() => rec.all().length === 2, 'delayed record');
    expect(rec.all()[1]!.timestamp).toBe(1500);
  });

  it('a paused lane skips records whose TTL passed and gets waiting records highest priority first on resume', async () => {
    const { createVirtualClock } = await import('@partita/core');
    const clock = createVirtualClock(0);
    const broker = newBroker({ clock });
    const t = memoryTransport(broker);
    const topic = uniq('t');
    const rec = recordingSink();
    await t.subscribe(spec(topic), rec.sink);
    rec.lanes[0]!.handle.pause();
    await t.publish([
      { topic, value: enc('low'), headers: {}, priority: 1 },
      { topic, value: enc('short-lived'), headers: {}, priority: 5, ttlMs: 100 },
      { topic, value: enc('high'), headers: {}, priority: 9 },
      { topic, value: enc('normal'), headers: {} },
    ]);
    await clock.advance(100);
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    expect(rec.all()).toHaveLength(0);
    rec.lanes[0]!.handle.resume();
    await waitFor(() => rec.all().length === 3, 'three live records');
    expect(rec.all().map((r) => dec(r.value))).toEqual(['high', 'low', 'normal']);
    expect(broker.stats().topics[0]!.expired).toBe(1);
  });

  it('validates options', () => {
    const broker = newBroker();
    expect(() => memoryTransport(broker, { maxBatch: 0 })).toThrow(/maxBatch/);
    expect(() => memoryTransport({} as MemoryBroker)).toThrow(ConfigError);
  });
});
