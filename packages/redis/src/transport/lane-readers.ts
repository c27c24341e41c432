import type { Cluster, Redis } from 'ioredis';
import { keySlot } from '../keys/key-slot.js';
import type { ResolvedRedisOptions } from '../options/redis-options.js';
import { createRedisClient, type ClientExtra } from './redis-connection.js';

/** Makes a client with its events logged (the transport's). */
export type ClientFactory = (name: string, create: () => Redis) => Redis;

/**
 * The lanes' reading connections, one per lane, never auto-pipelined: a
 * lane's reads are `WATCH`/`MULTI` transactions, which run on one connection
 * (and, in Redis Cluster, on the one node serving the partition's slot).
 */
export class LaneReaders {
  private readonly open = new Set<Redis>();

  constructor(
    private readonly o: ResolvedRedisOptions,
    private readonly client: ClientFactory,
    /** The cluster command client, in cluster mode: its slot map says where a stream lives. */
    private readonly cluster: Cluster | undefined,
  ) {}

  /** A reader for a lane reading `stream`: to the server, or to the master of the stream's slot. */
  reader(name: string, stream: string): Redis {
    return this.connect(name, this.cluster ? slotNode(this.cluster, stream) : undefined);
  }

  /**
   * After a failed read in Redis Cluster: a reader on the node that serves
   * the stream's slot now, when that is not the current reader's (the node a
   * `MOVED` reply names, else the slot map the cluster client keeps, which
   * it refreshes on failovers); undefined: keep the current one. An `ASK` (a
   * slot being migrated) changes nothing: the lane reads again after its
   * backoff, until the slot has moved.
   */
  follow(name: string, stream: string, err: unknown, current: Redis): Redis | undefined {
    if (this.cluster === undefined) return undefined;
    const moved = /^MOVED \d+ (\S+)/.exec(err instanceof Error ? err.message : '')?.[1];
    if (moved !== undefined) this.cluster.refreshSlotsCache();
    const node = moved ?? slotNode(this.cluster, stream);
    if (node === undefined || node === `${current.options.host}:${current.options.port}`) return undefined;
    return this.connect(name, node);
  }

  /** Cut every reader (the transport closes). */
  disconnectAll(): void {
    for (const r of this.open) r.disconnect();
  }

  private connect(name: string, node: string | undefined): Redis {
    const extra: ClientExtra = { extraTimeoutMs: this.o.blockMs, resend: false };
    // In a cluster before the client has a slot map (never once connected): a seed; a MOVED reply then says where.
    const target = node !== undefined ? parseNode(node) : this.o.cluster?.nodes[0];
    const reader = this.client(name, () => createRedisClient(this.o, name, extra, target));
    this.open.add(reader);
    reader.once('end', () => this.open.delete(reader));
    return reader;
  }
}

/** The node (`host:port`) serving a key's slot, by the cluster client's slot map; undefined before it has one. */
function slotNode(cluster: Cluster, key: string): string | undefined {
  return cluster.slots[keySlot(key)]?.[0];
}

/** `host:port` (the last colon: IPv6 hosts contain colons). */
function parseNode(node: string): { host: string; port: number } {
  const colon = node.lastIndexOf(':');
  return { host: node.slice(0, colon), port: Number(node.slice(colon + 1)) };
}
