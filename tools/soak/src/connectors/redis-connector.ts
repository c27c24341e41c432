import { Redis } from 'ioredis';
import { redisTransport } from '@partita/redis';
import type { SoakConnector } from './soak-connector.js';

export const REDIS_URL_ENV = 'PARTITA_REDIS_URL';
export const REDIS_PREFIX_ENV = 'PARTITA_REDIS_KEY_PREFIX';
const DEFAULT_URL = 'redis://127.0.0.1:6379';
const PARTITIONS = 8;

/**
 * Redis Streams: members are processes splitting 8 partitions through
 * leases. A killed member's partitions move once its lease lapses (the
 * survivor replays their pending entries first). `leaseMs` stays at the
 * default 5 s: on this shared machine event-loop stalls reach 1.7 s, and a
 * member stalled past its lease loses partitions it is still working on
 * (duplicates from a live member). Every run has its own key
 * prefix, deleted at the end (SCAN + UNLINK; the shared server is never flushed).
 */
export const redisConnector: SoakConnector = {
  name: 'redis',
  members: 'processes',
  rebalanceDuplicates: false,
  keyOrderAcrossMembers: true,
  handler: { maxInFlight: 32, timeoutMs: 2_000 },
  open(names, env) {
    const url = env[REDIS_URL_ENV] ?? DEFAULT_URL;
    const keyPrefix = env[REDIS_PREFIX_ENV] ?? `partita-soak:${names.topic}:`;
    return Promise.resolve({
      env: { [REDIS_URL_ENV]: url, [REDIS_PREFIX_ENV]: keyPrefix },
      transport: (name) =>
        redisTransport({
          url,
          keyPrefix,
          partitions: PARTITIONS,
          consumerName: `${name}-${process.pid}`,
        }),
      async close() {
        const r = new Redis(url, { maxRetriesPerRequest: 1 });
        try {
          let cursor = '0';
          do {
            const [next, keys] = await r.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
            cursor = next;
            if (keys.length > 0) await r.unlink(...keys);
          } while (cursor !== '0');
        } finally {
          r.disconnect();
        }
      },
    });
  },
};
