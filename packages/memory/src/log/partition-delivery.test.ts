import { createVirtualClock } from '@partita/core';
import { describe, expect, it } from 'vitest';
import { createMemoryBroker } from '../broker/create-memory-broker.js';
import { dec, enc } from '../testing-support/recording-sink.test-support.js';
import { memoryTransport } from '../transport/memory-transport.js';
import { partitionForKey } from '@partita/core';

const values = (recs: readonly { value: Uint8Array | null }[]): string[] => recs.map((r) => dec(r.value));

describe('partitions, keys and ordering', () => {
  it('creates topics on first publish with defaultPartitions and hashes keys stably', async () => {
    const broker = createMemoryBroker({ defaultPartitions: 3 });
    await broker.publish(['a', 'b', 'c', 'a'].map((k, i) => ({ topic: 't', key: k, value: enc(String(i)) })));
    expect(broker.topics()).toEqual([{ name: 't', partitions: 3 }]);
    const keys = ['a', 'b', 'c', 'a'];
    for (let p = 0; p < 3; p++) {
      const expected = keys.flatMap((k, i) => (partitionForKey(k, 3) === p ? [String(i)] : []));
      expect(values(broker.fetch({ group: 'g', topic: 't', partition: p }))).toEqual(expected);
    }
    const pa = partitionForKey('a', 3);
    expect(partitionForKey('a', 3)).toBe(pa);
    expect(Array.from({ length: 100 }, (_, i) => partitionForKey(`key-${i}`, 3)).every((p) => p >= 0 && p < 3)).toBe(
      true,
    );
    await broker.close();
  });

  it('spreads keyless records round-robin and honours an explicit partition', async () => {
    const broker = createMemoryBroker({ defaultPartitions: 2 });
    await broker.publish([0, 1, 2, 3].map((i) => ({ topic: 't', value: enc(String(i)) })));
    await broker.publish({ topic: 't', partition: 1, key: 'zzz', value: enc('explicit') });
    expect(values(broker.fetch({ group: 'g', topic: 't', partition: 0 }))).toEqual(['0', '2']);
    expect(values(broker.fetch({ group: 'g', topic: 't', partition: 1 }))).toEqual(['1', '3', 'explicit']);
    await expect(broker.publish({ topic: 't', partition: 2, value: enc('x') })).rejects.toThrow(/partition/);
    await broker.close();
  });

  it('fetch/commit: fetch advances the group position, a commit is where a new reader starts', async () => {
    const broker = createMemoryBroker();
    await broker.publish([0, 1, 2, 3, 4].map((i) => ({ topic: 't', value: enc(String(i)) })));
    expect(values(broker.fetch({ group: 'g', topic: 't', partition: 0, max: 2 }))).toEqual(['0', '1']);
    expect(values(broker.fetch({ group: 'g', topic: 't', partition: 0, max: 2 }))).toEqual(['2', '3']);
    broker.commit({ group: 'g', topic: 't', partition: 0, offset: '4', metadata: 'md' });
    expect(broker.committed({ group: 'g', topic: 't', partition: 0 })).toEqual({ offset: 4, metadata: 'md' });
    // records every known group committed past are freed: a group that comes later starts at what is left
    expect(values(broker.fetch({ group: 'other', topic: 't', partition: 0 }))).toEqual(['4']);
    expect(() => broker.commit({ group: 'g', topic: 't', partition: 0, offset: '-1' })).toThrow(RangeError);
    await broker.close();
  });
});

describe('priority', () => {
  it('delivers higher priority first within the ready set, FIFO among equal priorities', async () => {
    const broker = createMemoryBroker();
    const recs = [
      { v: 'low-1', p: 1 },
      { v: 'high-1', p: 9 },
      { v: 'none-1', p: 0 },
      { v: 'high-2', p: 9 },
      { v: 'low-2', p: 1 },
      { v: 'mid', p: 5 },
    ];
    await broker.publish(recs.map((r) => ({ topic: 't', value: enc(r.v), priority: r.p })));
    expect(broker.stats().topics[0]!.partitions[0]!.ready).toBe(6);
    const got = broker.fetch({ group: 'g', topic: 't', partition: 0, max: 3 });
    expect(values(got)).toEqual(['high-1', 'high-2', 'mid']);
    await broker.publish({ topic: 't', value: enc('urgent'), priority: 100 });
    expect(values(broker.fetch({ group: 'g', topic: 't', partition: 0 }))).toEqual([
      'urgent',
      'low-1',
      'low-2',
      'none-1',
    ]);
    // another group replays the sequenced order
    expect(values(broker.fetch({ group: 'g2', topic: 't', partition: 0 }))).toEqual([
      'high-1',
      'high-2',
      'mid',
      'urgent',
      'low-1',
      'low-2',
      'none-1',
    ]);
    await broker.close();
  });
});

describe('delay (virtual time)', () => {
  it('holds delayMs and deliverAt records until due, exactly to the millisecond', async () => {
    const clock = createVirtualClock(10_000);
    const broker = createMemoryBroker({ clock });
    await broker.publish([
      { topic: 't', value: enc('d250'), delayMs: 250 },
      { topic: 't', value: enc('at10100'), deliverAt: 10_100 },
      { topic: 't', value: enc('d100'), delayMs: 100 },
    ]);
    const fetch = () => values(broker.fetch({ group: 'g', topic: 't', partition: 0 }));
    expect(fetch()).toEqual([]);
    expect(broker.stats().topics[0]!.partitions[0]!.delayed).toBe(3);
    await clock.advance(99);
    expect(fetch()).toEqual([]);
    await clock.advance(1);
    expect(fetch()).toEqual(['at10100', 'd100']);
    await clock.advance(149);
    expect(fetch()).toEqual([]);
    await clock.advance(1);
    expect(fetch()).toEqual(['d250']);
    await broker.close();
    expect(clock.pending()).toBe(0);
  });
});

describe('TTL (virtual time)', () => {
  it('drops records expired before delivery and counts them', async () => {
    const clock = createVirtualClock(0);
    const broker = createMemoryBroker({ clock });
    await broker.publish([
      { topic: 't', value: enc('short'), ttlMs: 100 },
      { topic: 't', value: enc('long'), ttlMs: 1000 },
      { topic: 't', value: enc('forever') },
    ]);
    await clock.advance(99);
    expect(values(broker.fetch({ group: 'early', topic: 't', partition: 0 }))).toEqual(['short', 'long', 'forever']);
    await clock.advance(1);
    expect(values(broker.fetch({ group: 'late', topic: 't', partition: 0 }))).toEqual(['long', 'forever']);
    expect(broker.stats().topics[0]!.expired).toBe(1);
    expect(broker.stats().deadLetters.total).toBe(0);
    await broker.close();
  });

  it('dead-letters expired records when the topic asks for it, including expired while delayed', async () => {
    const clock = createVirtualClock(0);
    const broker = createMemoryBroker({ clock });
    broker.createTopic('t', { onExpire: 'dead-letter' });
    await broker.publish([
      { topic: 't', key: 'k', value: enc('stale'), ttlMs: 50 },
      { topic: 't', value: enc('delayed-stale'), ttlMs: 50, delayMs: 60 },
      { topic: 't', value: enc('ok') },
    ]);
    await clock.advance(60);
    expect(values(broker.fetch({ group: 'g', topic: 't', partition: 0 }))).toEqual(['ok']);
    const stats = broker.stats().deadLetters;
    expect(stats.byTopic['t']).toEqual({ total: 2, byReason: { expired: 2 } });
    const list = await memoryTransport(broker).admin.read('t.dlq');
    expect(list.map((d) => dec(d.value)).sort()).toEqual(['delayed-stale', 'stale']);
    expect(list.find((d) => dec(d.value) === 'stale')).toMatchObject({
      key: 'k',
      headers: {
        'partita-original-offset': '0',
        'partita-original-partition': '0',
        'partita-dead-letter-reason': 'expired',
      },
    });
    await broker.close();
  });
});
