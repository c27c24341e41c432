import { Redis } from 'ioredis';
import { createConsoleLogger, createApp, defineHandler, type App } from '@partita/core';
import { RedisKeys, redisTransport } from '@partita/redis';
import { brokersRequired, waitFor } from '@partita/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePrefix, REDIS_URL, redisAvailable, uniquePrefix } from './redis-helpers.js';
import { hasRedisServer, RedisServerProcess } from './redis-server-process.js';

const available = await redisAvailable();
if (available !== true && brokersRequired()) throw new Error(`Redis is required: ${available}`);
const quiet = createConsoleLogger({ level: 'silent' });
const WAIT = { timeoutMs: 60_000, intervalMs: 20 };
const prefix = uniquePrefix('lease-fence');
const apps: App[] = [];
const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });

afterAll(async () => {
  await Promise.allSettled(apps.map((a) => a.stop({ drainTimeoutMs: 2000 })));
  redis.disconnect();
  if (available === true) await deletePrefix(prefix);
});

describe.skipIf(available !== true)('Redis reads fenced by the lease', () => {
  it('a member whose lease another member holds takes no entry, and reads again once the lease is its own', async () => {
    await redis.connect();
    const keys = new RedisKeys(prefix);
    const topic = 'fenced';
    const group = 'fence-group';
    const consumer = 'member-a';
    const handled: string[] = [];
    // A long lease: the heartbeat (every 12 s) does not notice the stolen lease before the lane reads.
    const app = createApp({
      transport: redisTransport({
        url: REDIS_URL,
        keyPrefix: prefix,
        leaseMs: 60_000,
        blockMs: 200,
        consumerName: consumer,
      }),
      logger: quiet,
      handlers: [
        defineHandler<{ id: string }>({
          name: group,
          topic,
          handle(m) {
            handled.push(m.value.id);
          },
        }),
      ],
    });
    apps.push(app);
    await app.start();
    await app.publish({ topic, value: { id: 'first' } });
    await waitFor(() => handled.includes('first'), { ...WAIT, description: 'the first message handled' });

    const stream = keys.stream(topic, 0);
    const lease = keys.lease(topic, group, 0);
    const groupInfo = async (): Promise<{ last: string; pending: number }> => {
      const rows = (await redis.call('XINFO', 'GROUPS', stream)) as unknown[][];
      const row = rows.map((r) => new Map(Array.from({ length: r.length / 2 }, (_, i) => [r[2 * i], r[2 * i + 1]])));
      const g = row.find((m) => m.get('name') === group)!;
      return { last: String(g.get('last-delivered-id')), pending: Number(g.get('pending')) };
    };
    expect(await redis.get(lease)).toBe(consumer);
    // Another member holds the lease now (as after a stall past the lease and a takeover).
    await redis.set(lease, 'member-b', 'PX', 60_000);
    const before = await groupInfo();
    await app.publish({ topic, value: { id: 'second' } });
    // The fence key is written only by a read that found the lease not its own.
    await waitFor(async () => (await redis.exists(keys.fence(topic, group, 0))) === 1, {
      ...WAIT,
      description: 'a read refused by the fence',
    });
    const after = await groupInfo();
    expect(after.last, 'the group delivered nothing to the fenced member').toBe(before.last);
    expect(after.pending).toBe(0);
    expect(handled).toEqual(['first']);

    // The lease is this member's again: the entry comes (through the next read, or a new lane).
    await redis.set(lease, consumer, 'PX', 60_000);
    await waitFor(() => handled.includes('second'), { ...WAIT, description: 'the second message handled' });
    expect(handled).toEqual(['first', 'second']);
  }, 120_000);

  it('hands nothing back at a graceful stop when another member holds the lease by then', async () => {
    const keys = new RedisKeys(prefix);
    const topic = 'handback';
    const group = 'handback-group';
    const consumer = 'member-c';
    let started = false;
    const app = createApp({
      transport: redisTransport({ url: REDIS_URL, keyPrefix: prefix, leaseMs: 60_000, consumerName: consumer }),
      logger: quiet,
      handlers: [
        defineHandler({
          name: group,
          topic,
          async handle() {
            started = true;
            await new Promise(() => undefined); // in flight until the drain gives up on it
          },
        }),
      ],
    });
    apps.push(app);
    await app.start();
    await app.publish({ topic, value: { id: 'held' } });
    await waitFor(() => started, { ...WAIT, description: 'the handler running' });
    const stream = keys.stream(topic, 0);
    const lease = keys.lease(topic, group, 0);
    type Row = [id: string, consumer: string, idleMs: number, deliveries: number];
    const pending = async (): Promise<Row[]> => (await redis.xpending(stream, group, '-', '+', 10)) as Row[];
    expect((await pending()).map((r) => [r[1], r[3]])).toEqual([[consumer, 1]]);
    // Another member took the partition over (this member stalled past its lease) and claimed the entry.
    await redis.set(lease, 'member-d', 'PX', 60_000);
    await redis.xclaim(stream, group, 'member-d', 0, (await pending())[0]![0]);
    await app.stop({ drainTimeoutMs: 300 });
    // The stopping member neither claimed the entry back nor freed the new owner's lease.
    expect((await pending()).map((r) => [r[1], r[3]])).toEqual([['member-d', 2]]);
    expect(await redis.get(lease)).toBe('member-d');
  }, 120_000);

  it.skipIf(!hasRedisServer())(
    'a server out of memory reads nothing for a member whose lease is gone (its own redis-server, maxmemory)',
    async () => {
      const server = await RedisServerProcess.start();
      const own = new Redis(server.url, { maxRetriesPerRequest: 1 });
      try {
        const keys = new RedisKeys('oom:');
        const topic = 'oom';
        const group = 'oom-group';
        const handled: string[] = [];
        const app = createApp({
          transport: redisTransport({
            url: server.url,
            keyPrefix: 'oom:',
            leaseMs: 60_000,
            blockMs: 100,
            consumerName: 'member-a',
          }),
          logger: quiet,
          handlers: [
            defineHandler<{ id: string }>({ name: group, topic, handle: (m) => void handled.push(m.value.id) }),
          ],
        });
        apps.push(app);
        await app.start();
        await app.publish({ topic, value: { id: 'first' } });
        await waitFor(() => handled.includes('first'), { ...WAIT, description: 'the first message handled' });
        const stream = keys.stream(topic, 0);
        const lease = keys.lease(topic, group, 0);
        await own.set(lease, 'member-b', 'PX', 60_000);
        await app.publish({ topic, value: { id: 'second' } });
        // Out of memory: the check's SET of the fence key fails (XREADGROUP alone would still run), but
        // Redis refuses to queue commands after MULTI then, so the transaction aborts.
        await own.config('SET', 'maxmemory', '1');
        const evals = async (): Promise<number> =>
          Number(/cmdstat_eval:calls=(\d+)/.exec(await own.info('commandstats'))?.[1] ?? 0);
        const before = await evals();
        await waitFor(async () => (await evals()) >= before + 5, { ...WAIT, description: 'fence checks under OOM' });
        const pending = Number((await own.xpending(stream, group))[0]);
        expect(pending, 'no entry read by the member whose lease is gone').toBe(0);
        expect(handled).toEqual(['first']);
        await own.config('SET', 'maxmemory', '0');
        await own.set(lease, 'member-a', 'PX', 60_000);
        await waitFor(() => handled.includes('second'), { ...WAIT, description: 'the second message handled' });
        await app.stop({ drainTimeoutMs: 1000 });
      } finally {
        own.disconnect();
        await server.stop();
      }
    },
    120_000,
  );
});
