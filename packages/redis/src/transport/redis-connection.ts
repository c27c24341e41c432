import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { ClusterNode } from '../options/cluster-nodes.js';
import type { ResolvedRedisOptions } from '../options/redis-options.js';

/** The command client: one server, or a Redis Cluster (ioredis routes each command to its slot's node). */
export type RedisClient = Redis | Cluster;

/** What a client is for, beside the options. */
export interface ClientExtra {
  /** Added to `commandTimeoutMs` (blocking reads). */
  readonly extraTimeoutMs?: number;
  readonly autoPipelining?: boolean;
  /** false: fail the commands a dropped connection left unanswered instead of sending them again (a lane's reads). */
  readonly resend?: boolean;
}

const backoff = (times: number): number => Math.min(50 * 2 ** Math.min(times, 6), 2000);

function connectionOptions(o: ResolvedRedisOptions, name: string, extra: ClientExtra): RedisOptions {
  return {
    lazyConnect: true,
    connectionName: name,
    connectTimeout: o.connectTimeoutMs,
    commandTimeout: o.commandTimeoutMs + (extra.extraTimeoutMs ?? 0),
    maxRetriesPerRequest: 2,
    retryStrategy: backoff,
    enableAutoPipelining: extra.autoPipelining ?? false,
    autoResendUnfulfilledCommands: extra.resend ?? true,
    keepAlive: 10_000,
    ...(o.password !== undefined ? { password: o.password } : {}),
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.db !== undefined ? { db: o.db } : {}),
    ...(o.tls !== undefined ? { tls: o.tls } : {}),
  };
}

/**
 * A new ioredis client for these options, not yet connected (`lazyConnect`):
 * to the server at `url`, or to one cluster `node` (a lane's reader in
 * Redis Cluster: its transactions need the one node that serves their slot).
 * It reconnects forever with a capped backoff; a command waits through at
 * most two reconnects, and `commandTimeoutMs` (plus `extraTimeoutMs` for
 * blocking reads) bounds a command on a connection that stopped answering.
 * `resend: false` fails the commands a dropped connection left unanswered
 * instead of sending them again (a lane's reads: see RedisLane).
 */
export function createRedisClient(
  o: ResolvedRedisOptions,
  name: string,
  extra: ClientExtra = {},
  node?: ClusterNode,
): Redis {
  const options = connectionOptions(o, name, extra);
  return node === undefined ? new Redis(o.url, options) : new Redis({ ...options, host: node.host, port: node.port });
}

/**
 * A Redis Cluster client for the `cluster` seeds, not yet connected:
 * commands go to the master serving their key's slot (redirections
 * followed), auto-pipelined per node; every node connection has the
 * options' timeouts and credentials.
 */
export function createClusterClient(o: ResolvedRedisOptions, name: string): Cluster {
  return new Cluster([...(o.cluster?.nodes ?? [])], {
    lazyConnect: true,
    enableAutoPipelining: true,
    // Auto-pipelines are grouped by the first key ioredis knows of; for these it knows none (a
    // subcommand comes first) and would send them to a wrong node, in a pipeline that does not follow
    // the MOVED reply. Sent on their own, the MOVED reply is followed.
    autoPipeliningIgnoredCommands: ['xgroup', 'XGROUP', 'xinfo', 'XINFO'],
    scaleReads: 'master',
    clusterRetryStrategy: backoff,
    redisOptions: connectionOptions(o, name, {}),
  });
}
