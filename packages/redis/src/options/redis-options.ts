import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import { optionError, type Clock, type Logger } from '@partita/core';
import { resolveCluster, type ResolvedCluster } from './cluster-nodes.js';

const OWNER = 'redisTransport';

/** Options of {@link redisTransport}. Every field is optional. */
export interface RedisTransportOptions {
  /**
   * Server URL: `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS.
   * @defaultValue 'redis://127.0.0.1:6379'
   */
  readonly url?: string;
  /**
   * Redis Cluster: seed node URLs (`redis://[user:password@]host:port`, or
   * `rediss://` for TLS); the client learns the other nodes from them.
   * Instead of `url` (and without `db`: a cluster has database 0 only).
   * @defaultValue standalone (`url`)
   */
  readonly cluster?: { readonly nodes: readonly string[] };
  /** Password (overrides the URL's). Never logged. */
  readonly password?: string;
  /** ACL user name (overrides the URL's). */
  readonly username?: string;
  /** Database number (overrides the URL's path). @defaultValue 0 */
  readonly db?: number;
  /** TLS: `true` (system CAs) or Node TLS options; a `rediss://` URL turns it on. @defaultValue off */
  readonly tls?: boolean | ConnectionOptions;
  /** Prefix of every key partita writes (streams, delayed sets, leases). @defaultValue 'partita:' */
  readonly keyPrefix?: string;
  /**
   * Streams per topic this transport creates (the key's hash picks one). An
   * existing topic keeps the count it was created with; a different count
   * here is a `ConfigError` (repartitioning is not supported).
   * @defaultValue 1
   */
  readonly partitions?: number;
  /**
   * How long a member's hold on a partition lasts without renewal. A member
   * that stops renewing (crash, network cut) loses its partitions after it;
   * renewal runs every fifth of it.
   * @defaultValue 5000
   */
  readonly leaseMs?: number;
  /** Longest wait for new entries (`XREAD BLOCK`) before a drained lane reads again. @defaultValue 1000 */
  readonly blockMs?: number;
  /**
   * Entries pending on another consumer of an owned partition for longer than
   * this are claimed (a safety net beside the lease takeover).
   * @defaultValue 30000
   */
  readonly claimTimeoutMs?: number;
  /**
   * Entries per partition stream kept once every group finished them: when a
   * stream grows past it, entries every group has acknowledged are trimmed
   * (`XTRIM MINID ~`); entries some group still needs are never trimmed.
   * @defaultValue 10000
   */
  readonly maxLen?: number;
  /** Entries kept per dead-letter stream (`XADD MAXLEN ~`). @defaultValue 1000 */
  readonly deadLetterMaxLen?: number;
  /** Age beyond which dead letters are trimmed (`XTRIM MINID ~`). @defaultValue 168 h */
  readonly deadLetterMaxAgeMs?: number;
  /** Suffix that makes a topic a dead-letter topic (its own retention). @defaultValue '.dlq' */
  readonly dlqSuffix?: string;
  /** Name of this member in consumer groups. @defaultValue `<host>-<pid>-<random>` */
  readonly consumerName?: string;
  /** Per-command timeout (a blackholed connection fails instead of hanging). @defaultValue 10000 */
  readonly commandTimeoutMs?: number;
  /** Connect timeout. @defaultValue 5000 */
  readonly connectTimeoutMs?: number;
  /** Time source for delays and leases' local bookkeeping. @defaultValue systemClock */
  readonly clock?: Clock;
  /**
   * Receives connection events (lost, reconnecting, back, errors) and lease
   * failures with `component: 'redis'`; secrets redacted.
   * @defaultValue the logger of the app it runs for (`attach`), else `defaultLogger()`
   */
  readonly logger?: Logger;
}

/** Options after validation, defaults filled in. */
export interface ResolvedRedisOptions {
  readonly url: string;
  /** Redis Cluster seeds, or undefined for one server at `url`. */
  readonly cluster: ResolvedCluster | undefined;
  readonly password: string | undefined;
  readonly username: string | undefined;
  readonly db: number | undefined;
  readonly tls: ConnectionOptions | undefined;
  readonly keyPrefix: string;
  readonly partitions: number;
  readonly partitionsGiven: boolean;
  readonly leaseMs: number;
  readonly blockMs: number;
  readonly claimTimeoutMs: number;
  readonly maxLen: number;
  readonly deadLetterMaxLen: number;
  readonly deadLetterMaxAgeMs: number;
  readonly dlqSuffix: string;
  readonly consumerName: string;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

const KNOWN = new Set([
  'url',
  'cluster',
  'password',
  'username',
  'db',
  'tls',
  'keyPrefix',
  'partitions',
  'leaseMs',
  'blockMs',
  'claimTimeoutMs',
  'maxLen',
  'deadLetterMaxLen',
  'deadLetterMaxAgeMs',
  'dlqSuffix',
  'consumerName',
  'commandTimeoutMs',
  'connectTimeoutMs',
  'clock',
  'logger',
]);

function int(o: Record<string, unknown>, name: string, dflt: number, min: number, max: number): number {
  const v = o[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw optionError(OWNER, name, `an integer from ${min} to ${max}`, v);
  return v;
}

function str(
  o: Record<string, unknown>,
  name: string,
  pattern?: RegExp,
  expected = 'a non-empty string',
): string | undefined {
  const v = o[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '' || (pattern && !pattern.test(v))) throw optionError(OWNER, name, expected, v);
  return v;
}

/** The secrets of these options (password, user info of the URL and of cluster seeds), for `redact`. */
export function redisSecrets(o: {
  readonly url?: unknown;
  readonly password?: unknown;
  readonly cluster?: unknown;
}): string[] {
  const out: string[] = [];
  if (typeof o.password === 'string' && o.password !== '') out.push(o.password);
  const seeds = (o.cluster as { nodes?: unknown } | null | undefined)?.nodes;
  for (const url of [o.url, ...(Array.isArray(seeds) ? (seeds as unknown[]) : [])]) {
    if (typeof url !== 'string') continue;
    const rest = url.includes('://') ? url.slice(url.indexOf('://') + 3) : url;
    const at = rest.lastIndexOf('@');
    if (at > 0) {
      const info = rest.slice(0, at);
      out.push(info);
      const colon = info.indexOf(':');
      if (colon >= 0 && colon < info.length - 1) out.push(info.slice(colon + 1));
    }
  }
  return out;
}

/** Validate `redisTransport` options at the boundary; a bad one is a `ConfigError` naming it. */
export function resolveRedisOptions(options: RedisTransportOptions = {}): ResolvedRedisOptions {
  if (options === null || typeof options !== 'object') throw optionError(OWNER, 'options', 'an object', options);
  const o = options as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!KNOWN.has(k)) throw optionError(OWNER, k, `one of the known options (${[...KNOWN].join(', ')})`);
  }
  const cluster = o.cluster === undefined ? undefined : resolveCluster(o.cluster);
  if (cluster !== undefined && o.url !== undefined)
    throw optionError(OWNER, 'url', 'absent when "cluster" is given (the seeds are cluster.nodes)');
  if (cluster !== undefined && o.db !== undefined)
    throw optionError(OWNER, 'db', 'absent when "cluster" is given (a cluster has database 0 only)');
  const url =
    str(o, 'url', /^rediss?:\/\/[^\s]+$/, 'a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379') ??
    'redis://127.0.0.1:6379';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw optionError(OWNER, 'url', 'a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379', url);
  }
  const pathDb = parsed.pathname.replace(/^\//, '');
  if (pathDb !== '' && !/^\d+$/.test(pathDb))
    throw optionError(OWNER, 'url', 'a URL whose path is a database number', url);
  const tlsOpt = o.tls;
  if (tlsOpt !== undefined && typeof tlsOpt !== 'boolean' && (tlsOpt === null || typeof tlsOpt !== 'object'))
    throw optionError(OWNER, 'tls', 'true, false or Node TLS connection options', tlsOpt);
  const tls =
    tlsOpt === false
      ? undefined
      : typeof tlsOpt === 'object'
        ? (tlsOpt as ConnectionOptions)
        : tlsOpt === true || parsed.protocol === 'rediss:' || cluster?.tls === true
          ? {}
          : undefined;
  const password = str(o, 'password') ?? cluster?.password;
  const leaseMs = int(o, 'leaseMs', 5000, 500, 600_000);
  const blockMs = int(o, 'blockMs', 1000, 10, 60_000);
  const consumerName =
    str(o, 'consumerName', /^[^\s{}]+$/, 'a name without spaces or braces') ??
    `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const clock = o.clock;
  if (clock !== undefined && (clock === null || typeof (clock as Clock).now !== 'function'))
    throw optionError(OWNER, 'clock', 'a Clock ({ now, setTimeout, clearTimeout })', clock);
  return {
    url,
    cluster,
    password,
    username: str(o, 'username') ?? cluster?.username,
    db: o.db === undefined ? (pathDb === '' ? undefined : Number(pathDb)) : int(o, 'db', 0, 0, 65_535),
    tls,
    keyPrefix: str(o, 'keyPrefix', /^[^\s{}]*$/, 'a key prefix without spaces or braces') ?? 'partita:',
    partitions: int(o, 'partitions', 1, 1, 1024),
    partitionsGiven: o.partitions !== undefined,
    leaseMs,
    blockMs,
    claimTimeoutMs: int(o, 'claimTimeoutMs', 30_000, 100, 86_400_000),
    maxLen: int(o, 'maxLen', 10_000, 1, Number.MAX_SAFE_INTEGER),
    deadLetterMaxLen: int(o, 'deadLetterMaxLen', 1000, 1, Number.MAX_SAFE_INTEGER),
    deadLetterMaxAgeMs: int(o, 'deadLetterMaxAgeMs', 168 * 3_600_000, 1000, Number.MAX_SAFE_INTEGER),
    dlqSuffix: str(o, 'dlqSuffix', /^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" or "-" (e.g. ".dlq")') ?? '.dlq',
    consumerName,
    commandTimeoutMs: int(o, 'commandTimeoutMs', 10_000, 100, 600_000),
    connectTimeoutMs: int(o, 'connectTimeoutMs', 5000, 100, 600_000),
  };
}
