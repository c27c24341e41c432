// Chaos soak on Redis Streams (127.0.0.1:6379, or PARTITA_REDIS_URL): members
// are child processes splitting the partitions by lease, half of the stops are
// SIGKILL. Key order is judged across members (a partition has one owner).
import { beforeAll, describe, it } from 'vitest';
import { brokersRequired } from '@partita/testing';
import { REDIS_URL, redisAvailable } from '../redis/redis-helpers.js';
import { buildSoakMembers, expectSoakPasses } from './soak-test-run.js';

const available = await redisAvailable();
if (available !== true && brokersRequired()) throw new Error(`Redis is required: ${available}`);
if (available !== true) console.warn(`skipping the Redis soak: ${available}`);

describe.skipIf(available !== true)('chaos soak: redis', () => {
  beforeAll(buildSoakMembers, 240_000);

  it("10 s of member processes started, stopped and kill -9ed: 0 lost, key order across members, duplicates within the killed members' windows", async () => {
    await expectSoakPasses({ connector: 'redis', env: { PARTITA_REDIS_URL: REDIS_URL } });
  });
});
