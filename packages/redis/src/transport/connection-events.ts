import type { Logger } from '@partita/core';
import type { RedisClient } from './redis-connection.js';

/**
 * Log an ioredis client's connection events: a lost connection at `warn`
 * (ioredis reconnects), the first error of an outage at `warn` and the
 * repeats at `debug` (ioredis reports every failed reconnect), each
 * reconnect attempt at `debug`, and being back at `info`. Nothing once
 * `closing()` is true.
 */
export function logConnectionEvents(client: RedisClient, log: Logger, closing: () => boolean): void {
  let down = false;
  let ready = false;
  client.on('ready', () => {
    if (down) log.info('reconnected to Redis');
    down = false;
    ready = true;
  });
  client.on('close', () => {
    if (closing() || !ready || down) return;
    down = true;
    log.warn('connection to Redis lost; reconnecting');
  });
  client.on('reconnecting', (delayMs: number) => {
    if (!closing()) log.debug({ delayMs }, 'reconnecting to Redis');
  });
  client.on('error', (err: unknown) => {
    if (closing()) return;
    if (down) log.debug({ err }, 'Redis connection error');
    else {
      down = true;
      log.warn({ err }, 'Redis connection error');
    }
  });
}
