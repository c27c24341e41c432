import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Transport } from '@partita/core';
import { redisTransport, RedisKeys } from '@partita/redis';
import { decodeStamp, runId, type LatencyPhase, type LatencyTarget } from '../latency-target.js';
import { partitaPhase } from './partita-phase.js';

/** Entries the raw loop reads at once: partita's default `maxInFlight`. */
const COUNT = '64';

/**
 * Redis Streams at PARTITA_REDIS_URL (default redis://127.0.0.1:6379), one partition, every key under
 * a per-run prefix deleted at the end. raw: `XREADGROUP COUNT 64 BLOCK 100`, decode and handle each,
 * one pipelined `XACK` per read (the `redis` scenario's baseline); partita: `redisTransport` with the
 * handler's defaults.
 */
export function redisTarget(): LatencyTarget {
  const url = process.env.PARTITA_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `partita-bench-lat-${randomBytes(3).toString('hex')}:`;
  const keys = new RedisKeys(prefix);
  const options = { url, keyPrefix: prefix, maxLen: 2_000_000 };
  let admin: Redis | undefined;
  let producer: Transport | undefined;
  return {
    name: 'redis',
    saturation: { batch: 200, window: 10_000 },
    async probe() {
      admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await admin.connect();
      producer = redisTransport(options);
      await producer.connect();
    },
    async phase(side, handle): Promise<LatencyPhase> {
      const topic = `lat-${runId()}`;
      const group = `bench_lat_${side}`;
      const publish = producer!.publish.bind(producer);
      if (side === 'raw') {
        const stream = keys.stream(topic, 0);
        await admin!.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
        const r = new Redis(url);
        let running = true;
        const loop = (async () => {
          while (running) {
            const res = (await r.callBuffer(
              'XREADGROUP',
              'GROUP',
              group,
              'c',
              'COUNT',
              COUNT,
              'BLOCK',
              '100',
              'STREAMS',
              stream,
              '>',
            )) as [Buffer, [Buffer, Buffer[]][]][] | null;
            if (!res) continue;
            const ids: Buffer[] = [];
            for (const [id, fields] of res[0]![1]) {
              for (let i = 0; i + 1 < fields.length; i += 2)
                if (fields[i]!.toString() === 'v') handle(decodeStamp(fields[i + 1]!));
              ids.push(id);
            }
            void r.xack(stream, group, ...ids);
          }
        })();
        return {
          topic,
          publish,
          async close() {
            running = false;
            await loop;
            r.disconnect();
          },
        };
      }
      return partitaPhase({ transport: redisTransport(options), topic, group, handle, publish });
    },
    async close() {
      await producer?.close();
      if (!admin) return;
      let cursor = '0';
      do {
        const [next, found] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (found.length > 0) await admin.unlink(...found);
      } while (cursor !== '0');
      admin.disconnect();
    },
  };
}
