import { afterAll } from 'vitest';
import { conformanceSuite } from '@partita/testing/vitest';
import { redisTransport } from '@partita/redis';
import { deletePrefix, REDIS_TARGET, REDIS_URL, redisAvailable, uniquePrefix } from './redis-helpers.js';

const keyPrefix = uniquePrefix('conformance');
afterAll(() => deletePrefix(keyPrefix));

conformanceSuite({
  name: 'redis',
  createTransport: (ctx) =>
    redisTransport({
      url: ctx.proxy ? `redis://${ctx.proxy.host}:${ctx.proxy.port}` : REDIS_URL,
      keyPrefix,
      // Several partitions, so group members own distinct lanes.
      partitions: 4,
      leaseMs: 2000,
      // Entries whose read reply a cut connection lost come back after it.
      claimTimeoutMs: 5000,
      commandTimeoutMs: 3000,
    }),
  available: redisAvailable,
  proxyTarget: REDIS_TARGET,
  bulkMessages: 5000,
});
