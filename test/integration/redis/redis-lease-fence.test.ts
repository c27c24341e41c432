import { Redis } from 'ioredis';
import { createConsoleLogger, createApp, defineHandler, type App } from '@partita/core';
import { RedisKeys, redisTransport } from '@partita/redis';
import { brokersRequired, waitFor } from '@partita/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePrefix, REDIS_URL, redisAvailable, uniquePrefix } from './redis-helpers.js';

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
});
