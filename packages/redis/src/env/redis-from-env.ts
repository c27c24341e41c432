import { envError, envReader, redact, type Env, type Transport } from '@partita/core';
import { redisSecrets, type RedisTransportOptions } from '../options/redis-options.js';
import { redisTransport } from '../transport/redis-transport.js';

const URL_SHAPE = /^rediss?:\/\/\S+$/;

/** Whether `url` is a redis:// or rediss:// URL the URL parser takes. */
function isRedisUrl(url: string): boolean {
  if (!URL_SHAPE.test(url)) return false;
  try {
    new URL(url);
    return true;
  } catch {
    return false;
  }
}

/**
 * Options from the environment: `PARTITA_REDIS_URL` (`redis://` or, for TLS,
 * `rediss://`; user info allowed), or `PARTITA_REDIS_CLUSTER_NODES` (Redis
 * Cluster: seed node URLs, comma-separated), `PARTITA_REDIS_PASSWORD`,
 * `PARTITA_REDIS_DB`, `PARTITA_REDIS_PARTITIONS`, `PARTITA_REDIS_KEY_PREFIX`,
 * `PARTITA_DLQ_SUFFIX`. A bad value is a `ConfigError` naming the variable;
 * secrets are never echoed. `overrides` win over the environment.
 */
export function redisFromEnv(env: Env = process.env, overrides: RedisTransportOptions = {}): RedisTransportOptions {
  const r = envReader(env);
  const out: { -readonly [K in keyof RedisTransportOptions]: RedisTransportOptions[K] } = {};
  const url = r.string('PARTITA_REDIS_URL');
  if (url !== undefined) {
    if (!isRedisUrl(url)) {
      const shownUrl = redact(url, { secrets: redisSecrets({ url }) });
      throw envError(
        'PARTITA_REDIS_URL',
        shownUrl,
        'a URL like redis://host:6379, redis://:password@host:6379/0 or rediss://host:6380 (TLS)',
      );
    }
    out.url = url;
  }
  const seeds = r.string('PARTITA_REDIS_CLUSTER_NODES');
  if (seeds !== undefined) {
    const nodes = seeds.split(',').map((n) => n.trim());
    const shown = redact(seeds, { secrets: redisSecrets({ cluster: { nodes } }) });
    if (url !== undefined)
      throw envError('PARTITA_REDIS_CLUSTER_NODES', shown, 'unset when PARTITA_REDIS_URL is set (one or the other)');
    if (!nodes.every(isRedisUrl))
      throw envError(
        'PARTITA_REDIS_CLUSTER_NODES',
        shown,
        'comma-separated seed node URLs like redis://10.0.0.1:7000,redis://10.0.0.2:7000 (rediss:// for TLS)',
      );
    out.cluster = { nodes };
  }
  const password = r.string('PARTITA_REDIS_PASSWORD');
  if (password !== undefined) out.password = password;
  const db = r.int('PARTITA_REDIS_DB', 0, 65_535);
  if (db !== undefined) out.db = db;
  const partitions = r.int('PARTITA_REDIS_PARTITIONS', 1, 1024);
  if (partitions !== undefined) out.partitions = partitions;
  const prefix = r.string('PARTITA_REDIS_KEY_PREFIX');
  if (prefix !== undefined) {
    if (!/^[^\s{}]*$/.test(prefix))
      throw envError('PARTITA_REDIS_KEY_PREFIX', prefix, 'a key prefix without spaces or braces');
    out.keyPrefix = prefix;
  }
  const dlq = r.string('PARTITA_DLQ_SUFFIX');
  if (dlq !== undefined) {
    if (!/^[A-Za-z0-9._-]+$/.test(dlq))
      throw envError('PARTITA_DLQ_SUFFIX', dlq, 'letters, digits, ".", "_" or "-" (e.g. ".dlq")');
    out.dlqSuffix = dlq;
  }
  return { ...out, ...overrides };
}

/** What core's `transportFromEnv()` calls after loading `@partita/redis`. */
export function transportFromEnv(env: Env = process.env): Transport {
  return redisTransport(redisFromEnv(env));
}
