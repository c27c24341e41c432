import { Redis, type RedisOptions } from 'ioredis';
import type { ResolvedRedisOptions } from '../options/redis-options.js';

/**
 * A new ioredis client for these options, not yet connected (`lazyConnect`).
 * It reconnects forever with a capped backoff; a command waits through at
 * most two reconnects, and `commandTimeoutMs` (plus `extraTimeoutMs` for
 * blocking reads) bounds a command on a connection that stopped answering.
 * `resend: false` fails the commands a dropped connection left unanswered
 * instead of sending them again (a lane's reads: see RedisLane).
 */
export function createRedisClient(
  o: ResolvedRedisOptions,
  name: string,
  extra: { readonly extraTimeoutMs?: number; readonly autoPipelining?: boolean; readonly resend?: boolean } = {},
): Redis {
  const options: RedisOptions = {
    lazyConnect: true,
    connectionName: name,
    connectTimeout: o.connectTimeoutMs,
    commandTimeout: o.commandTimeoutMs + (extra.extraTimeoutMs ?? 0),
    maxRetriesPerRequest: 2,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    enableAutoPipelining: extra.autoPipelining ?? false,
    autoResendUnfulfilledCommands: extra.resend ?? true,
    keepAlive: 10_000,
    ...(o.password !== undefined ? { password: o.password } : {}),
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.db !== undefined ? { db: o.db } : {}),
    ...(o.tls !== undefined ? { tls: o.tls } : {}),
  };
  return new Redis(o.url, options);
}
