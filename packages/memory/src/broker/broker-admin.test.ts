import {
  BackpressureError,
  ClosedError,
  ConfigError,
  createVirtualClock,
  redriveDeadLetters,
  TopicNotFoundError,
} from '@partita/core';
import { describe, expect, it } from 'vitest';
import { dec, enc, recordingSink, waitFor } from '../testing-support/recording-sink.test-support.js';
import { memoryTransport } from '../transport/memory-transport.js';
import { createMemoryBroker } from './create-memory-broker.js';

const values = (recs: readonly { value: Uint8Array | null }[]): string[] => recs.map((r) => dec(r.value));

describe('options', () => {
  it('validates options with errors naming the option', () => {
    expect(() => createMemoryBroker({ defaultPartitions: 0 })).toThrow(/"defaultPartitions"/);
    expect(() => createMemoryBroker({ defaultPartitions: 1.5 })).toThrow(ConfigError);
    expect(() => createMemoryBroker({ maxBytes: -1 })).toThrow(ConfigError);
    expect(() => createMemoryBroker({ fsync: 'sometimes' as never })).toThrow(/"fsync"/);
    expect(() => createMemoryBroker({ clock: {} as never })).toThrow(/"clock"/);
    expect(() => createMemoryBroker({ autoCreateTopics: 'no' as never })).toThrow(/"autoCreateTopics"/);
    expect(() => createMemoryBroker({ cacheBytes: 0 })).toThrow(/"cacheBytes"/);
    expect(() => createMemoryBroker({ verifyChecksums: 'never' as never })).toThrow(/"verifyChecksums"/);
    expect(() => createMemoryBroker({ dataDir: '' })).toThrow(/"dataDir"/);
    expect(() => createMemoryBroker({ degradedAt: 2 })).toThrow(/"degradedAt"/);
    const b = createMemoryBroker();
    expect(() => b.createTopic('t', { partitions: 0 })).toThrow(/"partitions"/);
    expect(() => b.createTopic('t', { onExpire: 'keep' as never })).toThrow(/"onExpire"/);
  });

  it('createTopic is idempotent and refuses a different partition count', () => {
    const b = createMemoryBroker({ autoCreateTopics: false });
    expect(b.createTopic('t', { partitions: 4 })).toEqual({ name: 't', partitions: 4 });
    expect(b.createTopic('t')).toEqual({ name: 't', partitions: 4 });
    expect(() => b.createTopic('t', { partitions: 2 })).toThrow(RangeError);
    expect(() => b.fetch({ group: 'g', topic: 'nope', partition: 0 })).toThrow(TopicNotFoundError);
  });

  it('rejects malformed records without accepting any of the batch', async () => {
    const b = createMemoryBroker();
    await expect(
      b.publish([
        { topic: 't', value: enc('ok') },
        { topic: 't', value: 'str' as never },
      ]),
    ).rejects.toThrow(/records\[1\]\.value/);
    await expect(b.publish({ topic: 't', value: enc('x'), ttlMs: 0 })).rejects.toThrow(/ttlMs/);
    expect(b.fetch({ group: 'g', topic: 't', partition: 0 })).toHaveLength(0);
  });
});

describe('limits', () => {
  it('rejects past the per-topic count and bytes limits with BackpressureError, accepting nothing of the batch', async () => {
    const b = createMemoryBroker();
    b.createTopic('count', { maxMessages: 3 });
    // accounted bytes: payload plus the per-record overhead (256)
    b.createTopic('bytes', { maxBytes: 300 });
    await b.publish([1, 2].map((i) => ({ topic: 'count', value: enc(String(i)) })));
    await expect(b.publish([3, 4].map((i) => ({ topic: 'count', value: enc(String(i)) })))).rejects.toBeInstanceOf(
      BackpressureError,
    );
    expect(b.stats().topics.find((t) => t.name === 'count')!.messages).toBe(2);
    await b.publish({ topic: 'bytes', value: enc('12345') });
    const err = await b.publish({ topic: 'bytes', value: enc('123456') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackpressureError);
    expect((err as Error).message).toMatch(/maxBytes 300/);
  });

  it('global limits hold across topics; space frees as every group commits past records (never unconsumed ones)', async () => {
    const b = createMemoryBroker({ maxMessages: 4 });
    await b.publish([1, 2, 3].map((i) => ({ topic: 'a', value: enc(String(i)) })));
    await b.publish({ topic: 'b', value: enc('b1') });
    await expect(b.publish({ topic: 'b', value: enc('b2') })).rejects.toBeInstanceOf(BackpressureError);
    // no group has consumed 'a': nothing may be dropped
    await expect(b.publish({ topic: 'b', value: enc('b2') })).rejects.toBeInstanceOf(BackpressureError);
    expect(values(b.fetch({ group: 'g', topic: 'a', partition: 0 }))).toEqual(['1', '2', '3']);
    b.fetch({ group: 'slow', topic: 'a', partition: 0, max: 1 });
    b.commit({ group: 'g', topic: 'a', partition: 0, offset: 2 });
    // 'slow' has committed nothing: nothing is freed yet
    expect(b.stats().topics.find((t) => t.name === 'a')!.partitions[0]).toMatchObject({ startOffset: 0, endOffset: 3 });
    b.commit({ group: 'slow', topic: 'a', partition: 0, offset: 1 });
    await b.publish({ topic: 'b', value: enc('b2') });
    // only offset 0 was consumed by both groups
    expect(b.stats().topics.find((t) => t.name === 'a')!.partitions[0]).toMatchObject({ startOffset: 1, endOffset: 3 });
    await expect(b.publish({ topic: 'b', value: enc('b3') })).rejects.toBeInstanceOf(BackpressureError);
    expect(b.health().status).toBe('degraded');
    expect(b.health().reasons.join()).toMatch(/maxMessages/);
  });

  it('memory stays bounded with a slow consumer: the producer sees backpressure, the consumer still gets everything accepted', async () => {
    const b = createMemoryBroker({ maxMessages: 100 });
    const t = memoryTransport(b);
    const got: string[] = [];
    let handle: import('@partita/core').OffsetLaneHandle | undefined;
    // The consumer commits only while `consuming`: before that it is as slow as a consumer can be.
    let consuming = false;
    let delivered = 0;
    const commitDelivered = (): void => void handle!.commit(String(delivered));
    await t.subscribe(
      { group: 'g', topic: 's', handler: 'h', maxInFlight: 10, timeoutMs: 1000, maxAttempts: 1, startFrom: 'earliest' },
      {
        assigned(h) {
          if (h.ackModel !== 'offset') throw new Error('memory lanes are offset lanes');
          handle = h;
          return {
            deliver(recs) {
              got.push(...values(recs));
              delivered = Number(recs.at(-1)!.offset) + 1;
              if (consuming) commitDelivered();
            },
          };
        },
        async revoked() {},
      },
    );
    const accepted: string[] = [];
    let rejected = 0;
    const publish = async (v: string): Promise<boolean> => {
      try {
        await b.publish({ topic: 's', value: enc(v) });
        accepted.push(v);
        return true;
      } catch (e) {
        expect(e).toBeInstanceOf(BackpressureError);
        rejected++;
        return false;
      } finally {
        expect(b.stats().messages).toBeLessThanOrEqual(100);
      }
    };
    // Nothing consumed yet: exactly maxMessages are accepted, every further publish is rejected.
    for (let i = 0; i < 150; i++) await publish(`p${i}`);
    expect(accepted).toHaveLength(100);
    expect(rejected).toBe(50);
    // The consumer catches up: the producer gets through again, pushing back whenever it outruns it.
    await waitFor(() => delivered === 100, 'the first 100 delivered');
    consuming = true;
    commitDelivered();
    for (let i = 0; i < 1000; i++) {
      while (!(await publish(`q${i}`))) await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => got.length === accepted.length, 'consumer caught up');
    expect(got).toEqual(accepted);
    expect(accepted).toHaveLength(1100);
    await t.close();
  });
});

describe('transactions', () => {
  it('a committed set across topics becomes visible at once; an observer never sees part of it', async () => {
    const b = createMemoryBroker({ defaultPartitions: 2 });
    const t = memoryTransport(b);
    const seen: string[][] = [];
    const rec = recordingSink({ onDeliver: () => seen.push(snapshot()) });
    const snapshot = (): string[] => [
      ...values(b.fetch({ group: `obs-${seen.length}`, topic: 'x', partition: 0 })),
      ...values(b.fetch({ group: `obs-${seen.length}`, topic: 'x', partition: 1 })),
      ...values(b.fetch({ group: `obs-${seen.length}`, topic: 'y', partition: 0 })),
    ];
    await t.subscribe(
      { group: 'g', topic: 'x', handler: 'h', maxInFlight: 10, timeoutMs: 1000, maxAttempts: 1, startFrom: 'earliest' },
      rec.sink,
    );
    const tx = b.transaction();
    tx.publish([
      { topic: 'x', key: 'a', value: enc('x1') },
      { topic: 'x', key: 'b', value: enc('x2') },
    ]);
    tx.publish({ topic: 'y', value: enc('y1') });
    expect(tx.size).toBe(3);
    // nothing is visible before commit, even across event-loop turns
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(rec.all()).toHaveLength(0);
    expect(snapshot()).toEqual([]);
    await tx.commit();
    expect(tx.state).toBe('committed');
    await waitFor(() => rec.all().length === 2, 'delivery');
    for (const s of seen) expect(s.sort()).toEqual(['x1', 'x2', 'y1']);
    expect(() => tx.publish({ topic: 'x', value: enc('late') })).toThrow(ClosedError);
    await t.close();
  });

  it('a rolled-back set never appears; a commit that hits a limit publishes nothing', async () => {
    const b = createMemoryBroker();
    b.createTopic('small', { maxMessages: 2 });
    const tx = b.transaction();
    tx.publish([
      { topic: 'a', value: enc('1') },
      { topic: 'b', value: enc('2') },
    ]);
    tx.rollback();
    expect(tx.state).toBe('rolled-back');
    await expect(tx.commit()).rejects.toBeInstanceOf(ClosedError);
    const tx2 = b.transaction();
    tx2.publish([
      { topic: 'a', value: enc('3') },
      { topic: 'small', value: enc('4') },
      { topic: 'small', value: enc('5') },
      { topic: 'small', value: enc('6') },
    ]);
    await expect(tx2.commit()).rejects.toBeInstanceOf(BackpressureError);
    expect(b.fetch({ group: 'g', topic: 'a', partition: 0 })).toHaveLength(0);
    expect(b.stats().published).toBe(0);
    tx2.rollback();
  });
});

describe('dead letters', () => {
  it('counts dead-letter records by original topic and reason; browse, purge and redrive go through transport.admin', async () => {
    const b = createMemoryBroker();
    const t = memoryTransport(b);
    const dl = (i: number, reason: string) => ({
      topic: 'orders.dlq',
      key: `k${i}`,
      value: enc(`v${i}`),
      headers: {
        'partita-original-topic': 'orders',
        'partita-original-partition': '0',
        'partita-original-offset': String(i),
        'partita-dead-letter-reason': reason,
        'partita-error-name': 'Error',
        'partita-group': 'g',
        source: 'web',
      },
    });
    await b.publish([dl(0, 'max-retries'), dl(1, 'max-retries'), dl(2, 'decode')]);
    expect(b.stats().deadLetters.byTopic).toEqual({ orders: { total: 3, byReason: { 'max-retries': 2, decode: 1 } } });
    const decode = (await t.admin.read('orders.dlq')).filter(
      (r) => r.headers['partita-dead-letter-reason'] === 'decode',
    );
    expect(
      await t.admin.purge(
        'orders.dlq',
        decode.map((r) => `${r.partition}:${r.position}`),
      ),
    ).toEqual({ removed: 1 });
    const report = await redriveDeadLetters(t, { topic: 'orders.dlq' });
    expect(report).toMatchObject({ matched: 2, redriven: 2, byGroup: { g: 2 } });
    const back = b.fetch({ group: 'g', topic: 'orders', partition: 0 });
    expect(values(back)).toEqual(['v0', 'v1']);
    // the failure's details go, the origin stays, and the copy is for group g only
    expect(back[0]!.headers).toEqual({
      source: 'web',
      'partita-original-topic': 'orders',
      'partita-original-partition': '0',
      'partita-original-offset': '0',
      'partita-target-group': 'g',
    });
    await t.admin.purge('orders.dlq');
    expect(b.stats().deadLetters.total).toBe(0);
    expect(b.stats().deadLetters.recordedTotal).toBe(3);
  });
});

describe('queue consumer: visibility timeout (virtual time)', () => {
  it('redelivers an unacked message exactly at the visibility timeout with attempt + 1, then dead-letters past maxDeliveries', async () => {
    const clock = createVirtualClock(0);
    const b = createMemoryBroker({ clock });
    await b.publish([
      { topic: 'jobs', value: enc('a') },
      { topic: 'jobs', value: enc('b') },
    ]);
    const q = b.queue({ group: 'workers', topic: 'jobs', visibilityTimeoutMs: 1000, maxDeliveries: 2 });
    const first = q.receive(10);
    expect(first.map((m) => [dec(m.value), m.attempt])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    expect(q.ack(first[1]!)).toBe(true);
    expect(b.committed({ group: 'workers', topic: 'jobs', partition: 0 })).toBeUndefined();
    await clock.advance(999);
    expect(q.receive()).toEqual([]);
    await clock.advance(1);
    const again = q.receive();
    expect(again.map((m) => [dec(m.value), m.attempt])).toEqual([['a', 2]]);
    expect(q.ack(first[0]!)).toBe(false);
    await clock.advance(1000);
    expect(q.receive()).toEqual([]);
    const dead = await memoryTransport(b).admin.read('jobs.dlq');
    expect(
      dead.map((d) => [dec(d.value), d.headers['partita-dead-letter-reason'], d.headers['partita-group']]),
    ).toEqual([['a', 'max-deliveries', 'workers']]);
    expect(b.committed({ group: 'workers', topic: 'jobs', partition: 0 })?.offset).toBe(2);
    await b.close();
    expect(clock.pending()).toBe(0);
  });

  it('nack redelivers after its delay; acks advance the committed offset over the contiguous prefix', async () => {
    const clock = createVirtualClock(0);
    const b = createMemoryBroker({ clock });
    await b.publish([0, 1, 2].map((i) => ({ topic: 'jobs', value: enc(String(i)) })));
    const q = b.queue({ group: 'w', topic: 'jobs', visibilityTimeoutMs: 10_000 });
    const [m0, m1, m2] = q.receive(3);
    q.ack(m1!);
    q.ack(m2!);
    expect(b.committed({ group: 'w', topic: 'jobs', partition: 0 })).toBeUndefined();
    q.nack(m0!, 250);
    await clock.advance(249);
    expect(q.receive()).toEqual([]);
    await clock.advance(1);
    const r = q.receive();
    expect(r.map((m) => [dec(m.value), m.attempt])).toEqual([['0', 2]]);
    q.ack(r[0]!);
    expect(b.committed({ group: 'w', topic: 'jobs', partition: 0 })?.offset).toBe(3);
    expect(q.inFlight).toBe(0);
    // competing consumers of one group share the queue
    await b.publish({ topic: 'jobs', value: enc('3') });
    const other = b.queue({ group: 'w', topic: 'jobs' });
    expect(other.receive().map((m) => dec(m.value))).toEqual(['3']);
    expect(q.receive()).toEqual([]);
    await b.close();
  });
});

describe('seek and replay', () => {
  it('seeks a live group to an offset or a timestamp: the owner is revoked and re-assigned at the new position', async () => {
    const clock = createVirtualClock(1000);
    const b = createMemoryBroker({ clock });
    const t = memoryTransport(b);
    // records every group committed past are freed: a group holding position 0 keeps them replayable
    b.commit({ group: 'keeper', topic: 'r', partition: 0, offset: 0 });
    await b.publish([0, 1, 2].map((i) => ({ topic: 'r', value: enc(String(i)) })));
    await clock.advance(100);
    await b.publish([3, 4].map((i) => ({ topic: 'r', value: enc(String(i)) })));
    const rec = recordingSink({
      onRevoke: async (l) => {
        await l.handle.commit(String(Number(l.records.at(-1)!.offset) + 1));
      },
    });
    await t.subscribe(
      { group: 'g', topic: 'r', handler: 'h', maxInFlight: 10, timeoutMs: 1000, maxAttempts: 1, startFrom: 'earliest' },
      rec.sink,
    );
    await waitFor(() => rec.all().length === 5, 'first pass');
    await b.seek({ group: 'g', topic: 'r', offset: 1 });
    await waitFor(() => rec.all().length === 9, 'replay from 1');
    expect(values(rec.lanes[1]!.records)).toEqual(['1', '2', '3', '4']);
    expect(b.offsetForTimestamp('r', 0, 1100)).toBe(3);
    await b.seek({ group: 'g', topic: 'r', timestamp: 1100 });
    await waitFor(() => rec.lanes.length === 3 && rec.lanes[2]!.records.length === 2, 'replay from timestamp');
    expect(values(rec.lanes[2]!.records)).toEqual(['3', '4']);
    await b.seek({ group: 'raw', topic: 'r', offset: 'latest' });
    expect(b.fetch({ group: 'raw', topic: 'r', partition: 0 })).toHaveLength(0);
    await t.close();
    await b.close();
  });
});

describe('stats, health and close', () => {
  it('reports depth, lag per group, rates and health; close makes it down and rejects use', async () => {
    const clock = createVirtualClock(0);
    const b = createMemoryBroker({ clock, defaultPartitions: 2 });
    await b.publish([0, 1, 2, 3].map((i) => ({ topic: 's', value: enc(String(i)) })));
    await b.publish({ topic: 's', value: enc('later'), delayMs: 1000 });
    b.fetch({ group: 'g', topic: 's', partition: 0 });
    b.commit({ group: 'g', topic: 's', partition: 0, offset: 1 });
    await clock.advance(1000);
    const s = b.stats();
    const topic = s.topics[0]!;
    // offset 0 of partition 0 is freed: its only group committed past it
    expect(topic).toMatchObject({ name: 's', published: 5, messages: 4 });
    expect(topic.publishRate).toBe(5);
    expect(topic.partitions.map((p) => p.depth)).toEqual([1, 2]);
    expect(topic.partitions.reduce((n, p) => n + p.ready + p.delayed, 0)).toBe(1);
    expect(s.groups).toEqual([
      {
        group: 'g',
        topic: 's',
        members: 0,
        partitions: [
          { partition: 0, committed: 1, lag: 1, inFlight: 1, owner: undefined },
          { partition: 1, committed: undefined, lag: 2, inFlight: 0, owner: undefined },
        ],
      },
    ]);
    expect(b.health()).toMatchObject({ status: 'ok', reasons: [] });
    await b.close();
    expect(b.health()).toEqual({ status: 'down', reasons: ['broker closed'] });
    await expect(b.publish({ topic: 's', value: enc('x') })).rejects.toBeInstanceOf(ClosedError);
    expect(() => b.fetch({ group: 'g', topic: 's', partition: 0 })).toThrow(ClosedError);
    expect(clock.pending()).toBe(0);
  });
});
