import { Redis } from 'ioredis';
import { createConsoleLogger, createApp, defineHandler, DLQ_HEADERS, type App, type Transport } from '@partita/core';
import { redisTransport, RedisKeys } from '@partita/redis';
import { brokersRequired, waitFor } from '@partita/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, REDIS_URL, redisAvailable, uniquePrefix } from './redis-helpers.js';

const available = await redisAvailable();
if (available !== true && brokersRequired()) throw new Error(`Redis is required: ${available}`);
const quiet = createConsoleLogger({ level: 'silent' });
const WAIT = { timeoutMs: 60_000, intervalMs: 25 };
const prefix = uniquePrefix('records');
const keys = new RedisKeys(prefix);
const apps: App[] = [];
const transports: Transport[] = [];
let redis: Redis;

beforeAll(async () => {
  if (available !== true) return;
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  await Promise.allSettled(apps.map((a) => a.stop({ drainTimeoutMs: 1000 })));
  await Promise.allSettled(transports.map((t) => t.close()));
  if (available === true) {
    redis.disconnect();
    await deletePrefix(prefix);
  }
});

const transport = (extra: Parameters<typeof redisTransport>[0] = {}): Transport => {
  const t = redisTransport({ url: REDIS_URL, keyPrefix: prefix, leaseMs: 1000, ...extra });
  transports.push(t);
  return t;
};

/** Entries of a stream with their fields as strings. */
async function entries(stream: string): Promise<{ id: string; fields: Record<string, string> }[]> {
  const rows = await redis.xrange(stream, '-', '+');
  return rows.map(([id, f]) => ({
    id,
    fields: Object.fromEntries(f.flatMap((_, i) => (i % 2 ? [] : [[f[i], f[i + 1]]]))),
  }));
}

const pendingOf = async (stream: string, group: string): Promise<number> =>
  Number((await redis.xpending(stream, group))[0]);

describe.skipIf(available !== true)('Redis records, dead letters and retention', () => {
  it.each(['blocking', 'delayed'] as const)(
    'dead-letters a poison message after exactly maxAttempts (%s retries), acked with its copy',
    async (mode) => {
      const topic = `poison-${mode}`;
      const attempts: number[] = [];
      const app = createApp({
        transport: transport(),
        logger: quiet,
        handlers: [
          defineHandler<{ id: string }>({
            name: `poison-${mode}`,
            topic,
            retry: { maxAttempts: 3, mode, backoff: { initialMs: 50, multiplier: 1, maxMs: 50, jitter: 0 } },
            handle(m) {
              attempts.push(m.attempt);
              throw new Error(`poison ${m.value.id}`);
            },
          }),
        ],
      });
      apps.push(app);
      await app.start();
      await app.publish({ topic, key: 'p-1', value: { id: 'bad' }, headers: { origin: 'test' } });
      const dlq = keys.stream(`${topic}.dlq`, 0);
      await waitFor(async () => (await redis.xlen(dlq)) === 1, { ...WAIT, description: 'the dead letter' });
      await waitFor(async () => (await pendingOf(keys.stream(topic, 0), `poison-${mode}`)) === 0, {
        ...WAIT,
        description: 'the poison entry acknowledged',
      });
      expect(attempts).toEqual([1, 2, 3]);
      const [letter] = await entries(dlq);
      const headers = JSON.parse(letter!.fields.h!) as Record<string, string>;
      expect(headers[DLQ_HEADERS.attempts]).toBe('3');
      expect(headers[DLQ_HEADERS.topic]).toBe(topic);
      expect(headers[DLQ_HEADERS.reason]).toBe('max-retries');
      expect(headers[DLQ_HEADERS.group]).toBe(`poison-${mode}`);
      expect(headers.origin).toBe('test');
      expect(headers['partita-target-group']).toBeUndefined();
      expect(letter!.fields.k).toBe('p-1');
      expect(JSON.parse(letter!.fields.v!)).toEqual({ id: 'bad' });
      // Nothing more arrives: no further attempt, no second copy.
      await app.stop({ drainTimeoutMs: 1000 });
      expect(attempts).toEqual([1, 2, 3]);
      expect(await redis.xlen(dlq)).toBe(1);
    },
  );

  it('trims a stream past maxLen only below what every group still needs', async () => {
    const topic = 'trim';
    const t = transport({ maxLen: 100 });
    // A second group that never reads: nothing it has not read may go.
    const slow = keys.stream(topic, 0);
    await redis.xgroup('CREATE', slow, 'slow', '0', 'MKSTREAM');
    const handled = new Set<number>();
    const app = createApp({
      transport: t,
      logger: quiet,
      handlers: [
        defineHandler<{ i: number }>({
          name: 'fast',
          topic,
          ordering: 'none',
          handle: (m) => void handled.add(m.value.i),
        }),
      ],
    });
    apps.push(app);
    await app.start();
    const total = 1500;
    for (let i = 0; i < total; i += 500)
      await app.publish(Array.from({ length: 500 }, (_, j) => ({ topic, value: { i: i + j } })));
    await waitFor(() => handled.size === total, { ...WAIT, description: 'every message handled' });
    // The slow group reads everything but acknowledges only the first 1000: the last 500 must stay.
    await waitFor(async () => (await pendingOf(slow, 'fast')) === 0, { ...WAIT, description: 'acks' });
    const read = (await redis.xreadgroup('GROUP', 'slow', 'c', 'COUNT', total, 'STREAMS', slow, '>')) as [
      string,
      [string, string[]][],
    ][];
    const ids = read[0]![1].map(([id]) => id);
    expect(ids).toHaveLength(total);
    await redis.xack(slow, 'slow', ...ids.slice(0, 1000));
    // The lane trims what both groups finished (whole nodes of 100 entries: up to 100 finished ones may stay).
    await waitFor(async () => (await redis.xlen(slow)) <= 600, {
      ...WAIT,
      description: 'the finished entries trimmed',
    });
    const kept = new Set((await redis.xrange(slow, '-', '+')).map(([id]) => id));
    expect(ids.slice(1000).filter((id) => !kept.has(id))).toEqual([]);
  });

  it('bounds dead-letter streams by count (MAXLEN ~)', async () => {
    const t = transport({ deadLetterMaxLen: 100 });
    const topic = 'bounded.dlq';
    for (let i = 0; i < 1000; i += 250) {
      await t.publish(
        Array.from({ length: 250 }, (_, j) => ({
          topic,
          value: new TextEncoder().encode(String(i + j)),
          headers: { [DLQ_HEADERS.reason]: 'max-retries' },
        })),
      );
    }
    const len = await redis.xlen(keys.stream(topic, 0));
    // Approximate trimming removes whole nodes (100 entries each by default): at most one extra node is kept.
    expect(len).toBeGreaterThanOrEqual(100);
    expect(len).toBeLessThan(300);
  });

  it('delivers a delayed publish no earlier than its delay, and round-trips keys, headers and tombstones', async () => {
    const topic = 'records';
    const seen: { key: string | undefined; value: unknown; headers: Record<string, string>; at: number }[] = [];
    const app = createApp({
      transport: transport({ partitions: 3 }),
      logger: quiet,
      handlers: [
        defineHandler<unknown>({
          name: 'records',
          topic,
          handle(m) {
            seen.push({ key: m.key, value: m.value, headers: { ...m.headers }, at: Date.now() });
          },
        }),
      ],
    });
    apps.push(app);
    await app.start();
    await waitFor(() => app.inspect().lanes.filter((l) => l.state !== 'stopped').length === 3, {
      ...WAIT,
      description: 'three lanes',
    });
    const sentAt = Date.now();
    await app.publish([
      { topic, key: 'delayed', value: { late: true }, delayMs: 800 },
      { topic, key: 'ключ-1', value: { n: 1 }, headers: { 'x-trace': 'abc' } },
      { topic, key: 'gone', value: null },
    ]);
    await waitFor(() => seen.length === 3, { ...WAIT, description: 'three records' });
    const byKey = new Map(seen.map((s) => [s.key, s]));
    expect(byKey.get('ключ-1')?.value).toEqual({ n: 1 });
    expect(byKey.get('ключ-1')?.headers['x-trace']).toBe('abc');
    expect(byKey.get('gone')?.value).toBeNull();
    expect(byKey.get('delayed')!.at - sentAt).toBeGreaterThanOrEqual(800 - 10);
    expect(seen.at(-1)?.key).toBe('delayed');
  });

  it('claims again, after claimTimeoutMs, an entry delivered to its consumer whose reply never reached the lane', async () => {
    const topic = 'lost-reply';
    const got: string[] = [];
    const app = createApp({
      transport: transport({ consumerName: 'lost-reply-member', claimTimeoutMs: 1000 }),
      logger: quiet,
      handlers: [defineHandler<string>({ name: 'lost-reply', topic, handle: (m) => void got.push(m.value) })],
    });
    apps.push(app);
    await app.start();
    await waitFor(() => app.inspect().lanes.some((l) => l.state !== 'stopped'), { ...WAIT, description: 'the lane' });
    // What a reply lost on a cut connection leaves behind: the entry is pending on this member's
    // consumer, but its lane never saw it. (MULTI: the lane's own blocked read cannot take it first.)
    const stream = keys.stream(topic, 0);
    await redis
      .multi()
      .xadd(stream, '*', 'v', '"lost"')
      .xreadgroup('GROUP', 'lost-reply', 'lost-reply-member', 'COUNT', 10, 'STREAMS', stream, '>')
      .exec();
    await waitFor(() => got.includes('lost'), { ...WAIT, description: 'the entry claimed and handled' });
    await waitFor(async () => (await pendingOf(stream, 'lost-reply')) === 0, { ...WAIT, description: 'its ack' });
  });

  it('reports connection, owned partitions, lag and pending in health, with the password redacted', async () => {
    const t = redisTransport({ url: 'redis://:s3cr3t-pw@127.0.0.1:1/0', connectTimeoutMs: 200 });
    transports.push(t);
    const down = await t.health();
    expect(down.status).toBe('down');
    expect(JSON.stringify(down)).not.toContain('s3cr3t-pw');
    const topic = 'health';
    const app = createApp({
      transport: transport({ partitions: 2 }),
      logger: quiet,
      handlers: [defineHandler({ name: 'health', topic, handle: () => undefined })],
    });
    apps.push(app);
    await app.start();
    await waitFor(
      async () => {
        const h = await app.health();
        const sub = (
          h.details?.transport as { subscriptions: { owned: number[]; lanes: { lag: number; pending: number }[] }[] }
        ).subscriptions[0];
        return h.status === 'ok' && sub?.owned.length === 2 && sub.lanes.every((l) => l.lag === 0 && l.pending === 0);
      },
      { ...WAIT, description: 'health with two owned partitions, lag 0' },
    );
  });
});
