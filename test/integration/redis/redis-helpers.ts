import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { tcpReachable } from '@partita/testing';

export const REDIS_URL = process.env.PARTITA_REDIS_URL ?? 'redis://127.0.0.1:6379';
const url = new URL(REDIS_URL);
export const REDIS_TARGET = { host: url.hostname, port: Number(url.port || 6379) };

/** Whether the machine's Redis answers (a reason string when not). */
export function redisAvailable(): Promise<boolean | string> {
  return tcpReachable(REDIS_TARGET);
}

/** A key prefix no other test uses: every key a test writes lives under it. */
export function uniquePrefix(label: string): string {
  return `partita-test:${label}:${randomBytes(4).toString('hex')}:`;
}

/** Delete every key under `prefix` (SCAN, never FLUSH: the server is shared). */
export async function deletePrefix(prefix: string, redisUrl = REDIS_URL): Promise<void> {
  const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await r.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}
