import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  createConsoleLogger,
  createApp,
  createVirtualClock,
  defineHandler,
  redriveDeadLetters,
  type App,
  type Logger,
} from '@partita/core';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryTransport } from '../transport/memory-transport.js';
import { dec, enc, waitFor } from '../testing-support/recording-sink.test-support.js';
import { createMemoryBroker } from './create-memory-broker.js';
import type { MemoryBroker } from './memory-broker.js';

const quiet: Logger = createConsoleLogger({ level: 'silent' });
const uniq = (p: string): string => `${p}-${Math.random().toString(36).slice(2, 8)}`;
const DAY = 24 * 3600_000;
const apps: App[] = [];
const brokers: MemoryBroker[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.stop({ drainTimeoutMs: 2000 }).catch(() => {});
  for (const b of brokers.splice(0)) await b.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const broker = (o: Parameters<typeof createMemoryBroker>[0] = {}): MemoryBroker => {
  const b = createMemoryBroker(o);
  brokers.push(b);
  return b;
};
const topicStats = (b: MemoryBroker, name: string) => b.stats().topics.find((t) => t.name === name)!;
const admin = (b: MemoryBroker) => memoryTransport(b).admin;
const browse = async (b: MemoryBroker, topic = 'orders.dlq', limit?: number) =>
  admin(b).read(topic, limit === undefined ? {} : { limit });
const dlq = (i: number, topic = 'orders') => ({
  topic: `${topic}.dlq`,
  key: `k${i}`,
  value: enc(`v${i}`),
  headers: {
    'partita-original-topic': topic,
    'partita-original-partition': '0',
    'partita-original-offset': String(i),
    'partita-dead-letter-reason': 'non-retryable',
    'partita-group': 'g',
  },
});

describe('records every group has committed past are freed as the groups move', () => {
  it('two groups through createApp: once both committed, the topic holds nothing, with no publish hitting a limit', async () => {
    const b = broker({ defaultPartitions: 2 });
    const topic = uniq('flat');
    let a = 0;
    let c = 0;
    const app = createApp({
      transport: memoryTransport(b),
      logger: quiet,
      handlers: [
        defineHandler({
          name: 'ga',
          topic,
          handle: () => {
            a++;
          },
        }),
        defineHandler({
          name: 'gb',
          topic,
          handle: () => {
            c++;
          },
        }),
      ],
    });
    apps.push(app);
    await app.start();
    await app.publish(Array.from({ length: 1000 }, (_, n) => ({ topic, key: `k${n % 10}`, value: { n } })));
    expect(topicStats(b, topic).messages).toBe(1000);
    await waitFor(() => a === 1000 && c === 1000, 'both groups handled everything');
    await waitFor(() => topicStats(b, topic).messages === 0, 'records freed as the groups committed');
    expect(topicStats(b, topic).bytes).toBe(0);
    expect(b.stats().bytes).toBe(0);
    expect(topicStats(b, topic).partitions.map((p) => p.startOffset)).toEqual(
      topicStats(b, topic).partitions.map((p) => p.endOffset),
    );
  });

  it('a group that has not committed holds the records; they go when it commits', () => {
    const b = broker();
    b.commit({ group: 'slow', topic: 't', partition: 0, offset: 0 });
    b.publishSync([0, 1, 2, 3].map((i) => ({ topic: 't', value: enc(String(i)) })));
    b.commit({ group: 'fast', topic: 't', partition: 0, offset: 4 });
    expect(topicStats(b, 't').messages).toBe(4);
    b.commit({ group: 'slow', topic: 't', partition: 0, offset: 3 });
    expect(topicStats(b, 't').partitions[0]).toMatchObject({ startOffset: 3, depth: 1 });
  });
});

describe('retention by count, bytes and age', () => {
  it('a work topic keeps at most retention.messages and retention.bytes per partition, oldest dropped first', async () => {
    const b = broker();
    b.createTopic('count', { retention: { messages: 3 } });
    await b.publish([0, 1, 2, 3, 4].map((i) => ({ topic: 'count', value: enc(String(i)) })));
    expect(topicStats(b, 'count').partitions[0]).toMatchObject({ startOffset: 2, endOffset: 5 });
    expect(b.fetch({ group: 'g', topic: 'count', partition: 0 }).map((r) => dec(r.value))).toEqual(['2', '3', '4']);
    b.createTopic('bytes', { retention: { bytes: 600 } });
    await b.publish([0, 1, 2].map((i) => ({ topic: 'bytes', value: enc(`value-${i}`) })));
    const s = topicStats(b, 'bytes');
    expect(s.partitions[0]).toMatchObject({ startOffset: 1, endOffset: 3 });
    expect(s.bytes).toBeLessThanOrEqual(600);
  });

  it('records older than retention.ms leave (virtual time); work topics default to 7 days', async () => {
    const clock = createVirtualClock(0);
    const b = broker({ clock });
    b.createTopic('short', { retention: { ms: 1000 } });
    await b.publish([
      { topic: 'short', value: enc('old') },
      { topic: 'week', value: enc('w') },
    ]);
    await clock.advance(600);
    await b.publish({ topic: 'short', value: enc('new') });
    await clock.advance(500);
    expect(b.fetch({ group: 'g', topic: 'short', partition: 0 }).map((r) => dec(r.value))).toEqual(['new']);
    expect(topicStats(b, 'week').messages).toBe(1);
    await clock.advance(7 * DAY - 1100);
    expect(topicStats(b, 'week').messages).toBe(1);
    await clock.advance(1);
    expect(topicStats(b, 'week').messages).toBe(0);
    expect(b.stats().bytes).toBe(0);
  });

  it('dead-letter topics have their own retention and keep records longer by default (14 days against 7)', async () => {
    const clock = createVirtualClock(0);
    const b = broker({ clock });
    await b.publish([{ topic: 'orders', value: enc('work') }, dlq(0)]);
    await clock.advance(7 * DAY + 1);
    expect(topicStats(b, 'orders').messages).toBe(0);
    expect(b.stats().deadLetters.total).toBe(1);
    expect((await browse(b)).map((d) => dec(d.value))).toEqual(['v0']);
    await clock.advance(7 * DAY);
    expect(b.stats().deadLetters.total).toBe(0);
    expect(topicStats(b, 'orders.dlq').messages).toBe(0);
    expect(b.stats().bytes).toBe(0);
  });

  it('deadLetterRetention is set apart from retention; the dead-letter index follows it', async () => {
    const b = broker({ retention: { messages: 1 }, deadLetterRetention: { messages: 2 } });
    await b.publish([0, 1, 2].map((i) => ({ topic: 'orders', value: enc(String(i)) })));
    await b.publish([dlq(0), dlq(1), dlq(2)]);
    expect(topicStats(b, 'orders').messages).toBe(1);
    expect(topicStats(b, 'orders.dlq').messages).toBe(2);
    expect(b.stats().deadLetters.total).toBe(2);
    expect((await browse(b)).map((d) => dec(d.value))).toEqual(['v1', 'v2']);
  });

  it('rejects bad retention options naming the option', () => {
    expect(() => createMemoryBroker({ retention: { ms: 0 } })).toThrow(/"retention\.ms"/);
    expect(() => createMemoryBroker({ deadLetterRetention: { messages: -1 } })).toThrow(
      /"deadLetterRetention\.messages"/,
    );
    expect(() => broker().createTopic('t', { retention: { bytes: 'x' as never } })).toThrow(/"retention\.bytes"/);
  });
});

describe('dead-letter index and purge', () => {
  it('purge frees the dead-letter records and their bytes', async () => {
    const b = broker();
    await b.publish([dlq(0), dlq(1), dlq(2)]);
    expect(b.stats().bytes).toBeGreaterThan(0);
    // purging the newest leaves it behind an older kept one; purging the oldest frees both
    expect(await admin(b).purge('orders.dlq', ['0:2'])).toEqual({ removed: 1 });
    expect(topicStats(b, 'orders.dlq').messages).toBe(3);
    expect(await admin(b).purge('orders.dlq', ['0:0'])).toEqual({ removed: 1 });
    expect(topicStats(b, 'orders.dlq').partitions[0]).toMatchObject({ startOffset: 1, depth: 2 });
    expect(await admin(b).purge('orders.dlq')).toEqual({ removed: 1 });
    expect(topicStats(b, 'orders.dlq').messages).toBe(0);
    expect(b.stats().bytes).toBe(0);
    expect(b.stats().deadLetters.total).toBe(0);
  });

  it("dead-letter records are packed apart from the publisher's buffers (a kept dead letter pins no pooled slab); values and headers read back intact", async () => {
    const b = broker();
    const slab = Buffer.from('0123456789abcdef'); // a view into Node's shared 8 KiB pool
    expect(slab.buffer.byteLength).toBeGreaterThan(slab.byteLength);
    await b.publish({
      ...dlq(0),
      value: slab,
      headers: { ...dlq(0).headers, 'partita-error-stack': 'Error: x\n    at y (z.js:1:1)' },
    });
    slab.fill(0);
    const [d] = await browse(b);
    expect(dec(d!.value)).toBe('0123456789abcdef');
    expect(d!.value!.buffer.byteLength).not.toBe(slab.buffer.byteLength);
    expect(d!.headers).toMatchObject({
      'partita-original-topic': 'orders',
      'partita-error-stack': 'Error: x\n    at y (z.js:1:1)',
    });
    expect(b.fetch({ group: 'dlq-reader', topic: 'orders.dlq', partition: 0 })[0]!.headers['partita-group']).toBe('g');
  });

  it('records read from a dead-letter topic stay intact after retention dropped them and their memory was reused', async () => {
    const b = broker({ deadLetterRetention: { messages: 10 } });
    const fill = (i: number): Uint8Array => new Uint8Array(1024).fill(i % 251);
    await b.publish(Array.from({ length: 10 }, (_, i) => ({ ...dlq(i), value: fill(i) })));
    const read = b.fetch({ group: 'dlq-reader', topic: 'orders.dlq', partition: 0 });
    const listed = await browse(b);
    for (let i = 10; i < 5000; i += 100)
      await b.publish(Array.from({ length: 100 }, (_, j) => ({ ...dlq(i + j), value: fill(i + j) })));
    expect(topicStats(b, 'orders.dlq').partitions[0]).toMatchObject({ startOffset: 5000, depth: 10 });
    expect(read.map((r) => [r.value![0], r.value!.byteLength, r.headers['partita-original-offset']])).toEqual(
      Array.from({ length: 10 }, (_, i) => [i, 1024, String(i)]),
    );
    expect(listed.map((d) => d.value![1023])).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect((await browse(b, 'orders.dlq', 1))[0]!.value![0]).toBe(5000 % 251);
  });

  it('redrive sends the dead letters back to the group that failed them; purging them then frees them', async () => {
    const b = broker();
    await b.publish([dlq(0), dlq(1)]);
    const t = memoryTransport(b);
    expect((await redriveDeadLetters(t, { topic: 'orders.dlq' })).redriven).toBe(2);
    const back = b.fetch({ group: 'g', topic: 'orders', partition: 0 });
    expect(back.map((r) => [dec(r.value), r.headers['partita-target-group']])).toEqual([
      ['v0', 'g'],
      ['v1', 'g'],
    ]);
    expect(await t.admin.purge('orders.dlq')).toEqual({ removed: 2 });
    expect(topicStats(b, 'orders.dlq').messages).toBe(0);
  });

  it('durable mode: the index holds positions; values are read back from the segment files when browsed', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const dir = mkdtempSync(join(tmpdir(), 'partita-flat-'));
    dirs.push(dir);
    const b = broker({ dataDir: dir, fsync: 'never' });
    const n = 400;
    const size = 64 * 1024;
    gc();
    const before = process.memoryUsage();
    for (let i = 0; i < n; i += 20) {
      await b.publish(
        Array.from({ length: 20 }, (_, j) => ({ ...dlq(i + j), value: new Uint8Array(size).fill((i + j) % 251) })),
      );
    }
    await b.publish({ topic: 'flush', value: enc('x') });
    await new Promise((r) => setTimeout(r, 50));
    // 25 MiB of values published: the index keeps none of them (array buffers are swept after a GC, in the background: poll)
    const grown = (): number => {
      gc();
      const after = process.memoryUsage();
      return after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers;
    };
    await waitFor(() => grown() < (n * size) / 4, 'the published values to be collected', 10_000);
    expect(b.stats().deadLetters.total).toBe(n);
    const listed = await browse(b, 'orders.dlq', 3);
    expect(listed.map((d) => [d.key, d.value!.byteLength, d.value![0]])).toEqual([
      ['k0', size, 0],
      ['k1', size, 1],
      ['k2', size, 2],
    ]);
    const [one] = await admin(b).read('orders.dlq', { from: listed[2]!.position, limit: 1 });
    expect(one!.headers['partita-original-offset']).toBe('2');
    await expect(admin(b).purge('orders.dlq')).rejects.toThrow(/durable .* cannot delete records/);
  });
});

describe('tombstones (value: null)', () => {
  it('are stored and delivered with their key: raw API and a createApp handler', async () => {
    const b = broker();
    const topic = uniq('compacted');
    await b.publish({ topic, key: 'gone', value: null });
    const [raw] = b.fetch({ group: 'raw', topic, partition: 0 });
    expect(raw).toMatchObject({ key: 'gone', value: null });
    const seen: [string | undefined, unknown][] = [];
    const app = createApp({
      transport: memoryTransport(b),
      logger: quiet,
      handlers: [
        defineHandler({
          name: 'reader',
          topic,
          startFrom: 'earliest',
          handle: (m) => {
            seen.push([m.key, m.value]);
          },
        }),
      ],
    });
    apps.push(app);
    await app.start();
    await app.publish([
      { topic, key: 'k1', value: null },
      { topic, key: 'k2', value: { live: true } },
    ]);
    await waitFor(() => seen.length === 3, 'tombstones handled');
    expect(seen).toEqual([
      ['gone', null],
      ['k1', null],
      ['k2', { live: true }],
    ]);
  });

  it('durable mode refuses a tombstone with MessageRejectedError (its record format has no null value yet), accepting nothing of the batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'partita-tomb-'));
    dirs.push(dir);
    const b = broker({ dataDir: dir });
    const err = await b
      .publish([
        { topic: 't', value: enc('a') },
        { topic: 't', key: 'k', value: null },
      ])
      .catch((e: unknown) => e);
    expect((err as Error).name).toBe('MessageRejectedError');
    expect((err as Error).message).toMatch(/tombstone/);
    expect(b.fetch({ group: 'g', topic: 't', partition: 0 })).toHaveLength(0);
  });
});

describe('maxMessageBytes', () => {
  it('defaults to 1 MiB: a record above it rejects the publish with MessageTooLargeError (maxBytes), accepting nothing of the batch', async () => {
    const b = broker({ maxBytes: 2 ** 30 });
    await b.publish({ topic: 't', value: new Uint8Array(2 ** 20) });
    const err = await b
      .publish([
        { topic: 't', value: enc('ok') },
        { topic: 't', value: new Uint8Array(2 ** 20 + 1) },
      ])
      .catch((e: unknown) => e);
    expect((err as Error).name).toBe('MessageTooLargeError');
    expect(err).toMatchObject({ maxBytes: 2 ** 20, code: 'ERR_MESSAGE_TOO_LARGE' });
    expect(topicStats(b, 't').messages).toBe(1);
  });

  it('per topic through createTopic and broker-wide; key and headers count', async () => {
    const b = broker({ maxMessageBytes: 1000 });
    b.createTopic('small.dlq', { maxMessageBytes: 20 });
    await b.publish({ topic: 'small.dlq', key: 'k', value: enc('x'.repeat(10)), headers: { h: 'x'.repeat(8) } });
    const err = await b
      .publish({ topic: 'small.dlq', key: 'k', value: enc('x'.repeat(10)), headers: { h: 'x'.repeat(9) } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'MessageTooLargeError', maxBytes: 20 });
    await expect(b.publish({ topic: 'other', value: new Uint8Array(1001) })).rejects.toMatchObject({
      name: 'MessageTooLargeError',
      maxBytes: 1000,
    });
    expect(() => createMemoryBroker({ maxMessageBytes: 0 })).toThrow(/"maxMessageBytes"/);
  });
});

describe('counted bytes track real heap', () => {
  it('within 1.5x for 100-byte messages', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const b = broker({ maxBytes: 2 ** 31 });
    const te = new TextEncoder();
    const n = 100_000;
    gc();
    gc();
    const before = process.memoryUsage();
    for (let i = 0; i < n; i += 1000) {
      b.publishSync(
        Array.from({ length: 1000 }, (_, j) => ({
          topic: 'heap',
          key: `key-${(i + j) % 1000}`,
          value: te.encode(`{"n":${i + j},"pad":"`.padEnd(98, 'x') + '"}'),
          headers: { 'content-type': 'application/json' },
        })),
      );
    }
    gc();
    gc();
    const after = process.memoryUsage();
    const real = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
    const counted = b.stats().bytes;
    expect(counted / n).toBeGreaterThan(100);
    expect(real / counted).toBeLessThanOrEqual(1.5);
    expect(counted / real).toBeLessThanOrEqual(1.5);
  });
});
