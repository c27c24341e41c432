import { afterAll } from 'vitest';
import { adminConformance } from '@partita/testing/vitest';
import { redisTransport } from '@partita/redis';
import { deletePrefix, REDIS_URL, redisAvailable, uniquePrefix } from './redis-helpers.js';

const keyPrefix = uniquePrefix('admin');
afterAll(() => deletePrefix(keyPrefix));

adminConformance(
  'redis',
  () => redisTransport({ url: REDIS_URL, keyPrefix, partitions: 3, leaseMs: 2000, commandTimeoutMs: 3000 }),
  { available: redisAvailable },
);
