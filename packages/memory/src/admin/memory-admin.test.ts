import {
  ClosedError,
  ConfigError,
  TopicNotFoundError,
  createVirtualClock,
  hasAdmin,
  type SubscriptionSpec,
} from '@partita/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBroker } from '../broker/create-memory-broker.js';
import type { MemoryBroker } from '../broker/memory-broker.js';
import { dec, enc, recordingSink, waitFor } from '../testing-support/recording-sink.test-support.js';
import { memoryTransport } from '../transport/memory-transport.js';

const spec = (topic: string, group: string): SubscriptionSpec => ({
  group,
  topic,
  handler: 'h',
  maxInFlight: 64,
  timeoutMs: 1000,
  maxAttempts: 3,
  startFrom: 'earliest',
});

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

const values = (recs: readonly { value: Uint8Array | null }[]): string[] => recs.map((r) => dec(r.value));

describe('memory TransportAdmin', () => {
  it('is offered as transport.admin and lists topics with partitions and depth (staged records included)', async () => {
    const broker = newBroker();
    const t = memoryTransport(broker);
    expect(hasAdmin(t)).toBe(true);
    broker.createTopic('a', { partitions: 3 });
    await t.publish([
      { topic: 'a', key: 'x', value: enc('1'), headers: {} },
      { topic: 'a', key: 'y', value: enc('2'), headers: {} },
    ]);
    await broker.publish({ topic: 'a', partition: 1, value: enc('later'), delayMs: 60_000 });
    const topics = await t.admin.topics();
    expect(topics).toEqual([{ name: 'a', partitions: 3, depth: 3 }]);
  });

  it('reads oldest first from earliest, latest or an inclusive offset, by partition, with a limit', async () => {
    const clock = createVirtualClock(1_000);
    const broker = newBroker({ clock });
    broker.createTopic('r', { partitions: 2 });
    const t = memoryTransport(broker);
    for (let i = 0; i < 6; i++) {
      await t.publish([{ topic: 'r', value: enc(`v${i}`), headers: { n: String(i) } }]);
      await clock.advance(1);
    }
    const all = await t.admin.read('r');
    expect(values(all)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5']);
    expect(all[0]).toMatchObject({ topic: 'r', partition: 0, position: '0', headers: { n: '0' } });
    const p1 = await t.admin.read('r', { partition: 1 });
    expect(p1.map((r) => [r.partition, r.position])).toEqual([
      [1, '0'],
      [1, '1'],
      [1, '2'],
    ]);
    expect(values(await t.admin.read('r', { partition: 1, from: '1', limit: 1 }))).toEqual(['v3']);
    expect(values(await t.admin.read('r', { partition: 1, from: '1' }))).toEqual(['v3', 'v5']);
    expect(await t.admin.read('r', { from: 'latest' })).toEqual([]);
    expect(values(await t.admin.read('r', { limit: 2 }))).toEqual(['v0', 'v1']);
  });

  it('browses without consuming: a group subscribed afterwards gets every record; staged records stay staged', async () => {
    const broker = newBroker();
    const t = memoryTransport(broker);
    await t.publish([1, 2, 3].map((i) => ({ topic: 'b', value: enc(`v${i}`), headers: {} })));
    await broker.publish({ topic: 'b', value: enc('prio'), priority: 5 });
    expect(values(await t.admin.read('b'))).toEqual(['v1', 'v2', 'v3']);
    expect(values(await t.admin.read('b'))).toEqual(['v1', 'v2', 'v3']);
    const rec = recordingSink();
    await t.subscribe(spec('b', 'g'), rec.sink);
    await waitFor(() => rec.all().length === 4, 'every record delivered');
    expect(values(rec.all())).toEqual(['v1', 'v2', 'v3', 'prio']);
  });

  it('reports lag per group and partition from committed offsets, 0 once caught up', async () => {
    const broker = newBroker();
    broker.createTopic('l', { partitions: 2 });
    const t = memoryTransport(broker);
    await t.publish([0, 1, 2, 3].map((i) => ({ topic: 'l', partition: i % 2, value: enc(`v${i}`), headers: {} })));
    broker.commit({ group: 'g1', topic: 'l', partition: 0, offset: 1 });
    const lag = await t.admin.lag('g1');
    expect(lag).toEqual([
      { group: 'g1', topic: 'l', partition: 0, committed: '1', end: '2', lag: 1 },
      { group: 'g1', topic: 'l', partition: 1, end: '2', lag: 2 },
    ]);
    broker.commit({ group: 'g2', topic: 'l', partition: 0, offset: 2 });
    broker.commit({ group: 'g2', topic: 'l', partition: 1, offset: 2 });
    expect((await t.admin.lag('g2')).map((r) => r.lag)).toEqual([0, 0]);
    expect(new Set((await t.admin.lag()).map((r) => r.group))).toEqual(new Set(['g1', 'g2']));
    expect(await t.admin.lag('nobody')).toEqual([]);
  });

  it('purges a whole topic, log and staged records', async () => {
    const broker = newBroker();
    const t = memoryTransport(broker);
    await t.publish([1, 2].map((i) => ({ topic: 'p', value: enc(`v${i}`), headers: {} })));
    await broker.publish({ topic: 'p', value: enc('later'), delayMs: 60_000 });
    expect(await t.admin.purge('p')).toEqual({ removed: 3 });
    expect(await t.admin.read('p')).toEqual([]);
    expect(await t.admin.topics()).toEqual([{ name: 'p', partitions: 1, depth: 0 }]);
    expect(broker.stats().messages).toBe(0);
    await t.publish([{ topic: 'p', value: enc('after'), headers: {} }]);
    const rec = recordingSink();
    await t.subscribe(spec('p', 'g'), rec.sink);
    await waitFor(() => rec.all().length === 1, 'the record published after the purge');
    expect(values(rec.all())).toEqual(['after']);
  });

  it('purges single records by <partition>:<offset>: never browsed or delivered again, freed with the prefix', async () => {
    const broker = newBroker();
    const t = memoryTransport(broker);
    await t.publish([0, 1, 2, 3].map((i) => ({ topic: 's', value: enc(`v${i}`), headers: {} })));
    expect(await t.admin.purge('s', ['0:1', '0:3', '0:3', '0:9'])).toEqual({ removed: 2 });
    expect(values(await t.admin.read('s'))).toEqual(['v0', 'v2']);
    expect((await t.admin.topics())[0]!.depth).toBe(2);
    expect(await t.admin.purge('s', ['0:0'])).toEqual({ removed: 1 });
    expect(broker.stats().topics[0]!.partitions[0]!.startOffset).toBe(2);
    const rec = recordingSink();
    await t.subscribe(spec('s', 'g'), rec.sink);
    await waitFor(() => rec.all().length >= 1, 'delivery');
    expect(values(rec.all())).toEqual(['v2']);
  });

  it('keeps the dead-letter counts in step with purges', async () => {
    const broker = newBroker();
    const t = memoryTransport(broker);
    const dl = (i: number) => ({
      topic: 'o.dlq',
      value: enc(`d${i}`),
      headers: { 'partita-original-topic': 'o', 'partita-dead-letter-reason': 'non-retryable' },
    });
    await t.publish([dl(0), dl(1), dl(2)]);
    expect(broker.stats().deadLetters.total).toBe(3);
    await t.admin.purge('o.dlq', ['0:1']);
    expect(broker.stats().deadLetters.total).toBe(2);
    await t.admin.purge('o.dlq');
    expect(broker.stats().deadLetters.total).toBe(0);
  });

  it('refuses unknown topics, bad options and a closed transport with partita errors', async () => {
    const broker = newBroker();
    broker.createTopic('e', { partitions: 2 });
    const t = memoryTransport(broker);
    await expect(t.admin.read('missing')).rejects.toBeInstanceOf(TopicNotFoundError);
    await expect(t.admin.purge('missing')).rejects.toBeInstanceOf(TopicNotFoundError);
    expect(broker.topics().map((x) => x.name)).toEqual(['e']);
    await expect(t.admin.read('e', { partition: 2 })).rejects.toThrow(/partition must be an integer in \[0, 1\]/);
    await expect(t.admin.read('e', { from: 'yesterday' })).rejects.toBeInstanceOf(ConfigError);
    await expect(t.admin.read('e', { limit: -1 })).rejects.toThrow(/"limit"/);
    await expect(t.admin.purge('e', ['7'])).rejects.toThrow(/<partition>:<offset>/);
    await t.close();
    await expect(t.admin.topics()).rejects.toBeInstanceOf(ClosedError);
  });
});
