import { Cluster } from 'ioredis';
import {
  ConfigError,
  TopicNotFoundError,
  type BrowsedRecord,
  type GroupLag,
  type ReadOptions,
  type TopicInfo,
  type TransportAdmin,
} from '@partita/core';
import type { RedisKeys } from '../keys/redis-keys.js';
import { fromFields, idTime } from '../record/record-fields.js';
import type { RedisClient } from '../transport/redis-connection.js';

/** What the admin needs of the transport. */
export interface RedisAdminDeps {
  readonly keys: RedisKeys;
  /** The connected command client (throws `ClosedError` once the transport is closed). */
  cmd(): Promise<RedisClient>;
  /** Map a Redis failure to a partita error, secrets redacted. */
  mapError(err: unknown, what: string): Error;
}

const DEFAULT_LIMIT = 100;
/** Entries counted one by one when `XINFO GROUPS` cannot tell a lag (entries deleted inside the range). */
const LAG_COUNT_CAP = 100_000;
const ENTRY_ID = /^\d+(-\d+)?$/;

/** One consumer group of a stream as `XINFO GROUPS` (Redis 7) describes it. */
export interface StreamGroupInfo {
  readonly name: string;
  /** Entries not yet delivered to the group; `null` when Redis cannot tell (entries deleted in the range). */
  readonly lag: number | null;
  /** Delivered, not acknowledged. */
  readonly pending: number;
  readonly lastDeliveredId: string;
}

/** `XINFO GROUPS` of a stream; `[]` when the stream does not exist. */
export async function streamGroups(cmd: RedisClient, stream: string): Promise<StreamGroupInfo[]> {
  let rows: unknown[][];
  try {
    rows = (await cmd.call('XINFO', 'GROUPS', stream)) as unknown[][];
  } catch (err) {
    if (/no such key/i.test(String((err as Error)?.message))) return [];
    throw err;
  }
  return rows.map((row) => {
    const info = new Map<string, unknown>();
    for (let i = 0; i + 1 < row.length; i += 2) info.set(String(row[i]), row[i + 1]);
    const lag = info.get('lag');
    return {
      name: String(info.get('name')),
      lag: lag === null || lag === undefined ? null : Number(lag),
      pending: Number(info.get('pending')),
      lastDeliveredId: String(info.get('last-delivered-id')),
    };
  });
}

/** A glob pattern matching `text` literally. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * The Redis Streams connector's `TransportAdmin` (`transport.admin`). Topics
 * are found by their `…{<topic>}:meta` keys (SCAN); positions are entry ids
 * (`<ms>-<seq>`), so `from` an entry id applied to every partition means
 * "since that entry's time". Reads are `XRANGE` (nothing is delivered to any
 * group). Lag per group and partition is `XINFO GROUPS` `lag` + `pending`.
 * `purge` is `XTRIM MAXLEN 0` (plus the delayed entries) or `XDEL` of single entries.
 */
export class RedisAdmin implements TransportAdmin {
  constructor(private readonly d: RedisAdminDeps) {}

  async topics(): Promise<readonly TopicInfo[]> {
    const cmd = await this.d.cmd();
    const out: TopicInfo[] = [];
    for (const topic of await this.topicNames(cmd)) {
      const n = await this.partitions(cmd, topic);
      if (n === undefined) continue;
      let depth = 0;
      for (let p = 0; p < n; p++) {
        const [len, delayed] = await Promise.all([
          cmd.xlen(this.d.keys.stream(topic, p)),
          cmd.zcard(this.d.keys.delayed(topic, p)),
        ]).catch((err: unknown) => {
          throw this.d.mapError(err, `depth of "${topic}"`);
        });
        depth += len + delayed;
      }
      out.push({ name: topic, partitions: n, depth });
    }
    return out;
  }

  async lag(group?: string): Promise<readonly GroupLag[]> {
    const cmd = await this.d.cmd();
    const rows: GroupLag[] = [];
    for (const topic of await this.topicNames(cmd)) {
      const n = (await this.partitions(cmd, topic)) ?? 0;
      for (let p = 0; p < n; p++) {
        const stream = this.d.keys.stream(topic, p);
        const groups = await streamGroups(cmd, stream).catch((err: unknown) => {
          throw this.d.mapError(err, `groups of "${topic}"`);
        });
        for (const g of groups) {
          if (group !== undefined && g.name !== group) continue;
          const waiting = g.lag ?? (await this.countAfter(cmd, stream, g.lastDeliveredId));
          rows.push({ group: g.name, topic, partition: p, lag: waiting + g.pending });
        }
      }
    }
    return rows;
  }

  async read(topic: string, options: ReadOptions = {}): Promise<readonly BrowsedRecord[]> {
    const limit = options.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 0)
      throw new ConfigError(`read("${topic}"): option "limit" must be a non-negative integer (got ${String(limit)})`);
    const from = options.from ?? 'earliest';
    if (from !== 'earliest' && from !== 'latest' && !ENTRY_ID.test(from))
      throw new ConfigError(
        `read("${topic}"): option "from" must be "earliest", "latest" or an entry id like "1700000000000-0" (got ${JSON.stringify(from)})`,
      );
    const cmd = await this.d.cmd();
    const parts = this.pick(topic, await this.existing(cmd, topic), options.partition, 'read');
    if (from === 'latest' || limit === 0) return [];
    const out: BrowsedRecord[] = [];
    for (const p of parts) {
      const entries = (await cmd
        .xrangeBuffer(this.d.keys.stream(topic, p), from === 'earliest' ? '-' : from, '+', 'COUNT', limit)
        .catch((err: unknown) => {
          throw this.d.mapError(err, `read "${topic}"`);
        })) as [Buffer, Buffer[]][];
      for (const [id, fields] of entries) {
        const r = fromFields(id.toString(), fields, 0);
        out.push({
          topic,
          partition: p,
          position: r.offset,
          key: r.key,
          value: r.value,
          headers: r.headers,
          timestamp: r.timestamp,
        });
      }
    }
    if (parts.length > 1) out.sort((a, b) => compareIds(a.position, b.position) || a.partition - b.partition);
    return out.slice(0, limit);
  }

  async purge(topic: string, positions?: readonly string[]): Promise<{ readonly removed: number }> {
    const cmd = await this.d.cmd();
    const n = await this.existing(cmd, topic);
    try {
      if (positions === undefined) {
        let removed = 0;
        for (let p = 0; p < n; p++) {
          const k = this.d.keys;
          const [trimmed, delayed] = await Promise.all([
            cmd.xtrim(k.stream(topic, p), 'MAXLEN', 0),
            cmd.zcard(k.delayed(topic, p)),
          ]);
          await cmd.del(k.delayed(topic, p), k.delayedData(topic, p));
          removed += trimmed + delayed;
        }
        return { removed };
      }
      const byPartition = new Map<number, string[]>();
      for (const id of positions) {
        const m = typeof id === 'string' ? /^(\d+):(\d+-\d+)$/.exec(id) : null;
        if (!m)
          throw new ConfigError(
            `purge("${topic}"): position ${JSON.stringify(id)} is not "<partition>:<entry id>" (as read() gives it)`,
          );
        const p = this.pick(topic, n, Number(m[1]), 'purge')[0]!;
        byPartition.set(p, [...(byPartition.get(p) ?? []), m[2]!]);
      }
      let removed = 0;
      for (const [p, ids] of byPartition) removed += await cmd.xdel(this.d.keys.stream(topic, p), ...ids);
      return { removed };
    } catch (err) {
      throw err instanceof ConfigError ? err : this.d.mapError(err, `purge "${topic}"`);
    }
  }

  /** Topic names with a partition count recorded under this key prefix (every master of a cluster scanned). */
  private async topicNames(cmd: RedisClient): Promise<string[]> {
    const prefix = this.d.keys.prefix;
    const names = new Set<string>();
    try {
      for (const server of cmd instanceof Cluster ? cmd.nodes('master') : [cmd]) {
        let cursor = '0';
        do {
          const [next, keys] = await server.scan(cursor, 'MATCH', `${globEscape(prefix)}{*}:meta`, 'COUNT', 1000);
          cursor = next;
          for (const k of keys) names.add(k.slice(prefix.length + 1, -'}:meta'.length));
        } while (cursor !== '0');
      }
    } catch (err) {
      throw this.d.mapError(err, 'list topics');
    }
    return [...names].sort();
  }

  private async partitions(cmd: RedisClient, topic: string): Promise<number | undefined> {
    const v = await cmd.hget(this.d.keys.meta(topic), 'partitions').catch((err: unknown) => {
      throw this.d.mapError(err, `partitions of "${topic}"`);
    });
    return v === null ? undefined : Number(v);
  }

  private async existing(cmd: RedisClient, topic: string): Promise<number> {
    const n = await this.partitions(cmd, topic);
    if (n === undefined) throw new TopicNotFoundError(topic);
    return n;
  }

  private pick(topic: string, n: number, partition: number | undefined, op: string): number[] {
    if (partition === undefined) return Array.from({ length: n }, (_, p) => p);
    if (!Number.isInteger(partition) || partition < 0 || partition >= n)
      throw new ConfigError(
        `${op}("${topic}"): partition must be an integer in [0, ${n - 1}] (got ${String(partition)})`,
      );
    return [partition];
  }

  /** Entries after `id`, counted (up to a cap) when `XINFO GROUPS` reports no lag. */
  private async countAfter(cmd: RedisClient, stream: string, id: string): Promise<number> {
    const ids = (await cmd.xrange(stream, `(${id}`, '+', 'COUNT', LAG_COUNT_CAP)) as unknown[];
    return ids.length;
  }
}

/** Order of two entry ids (`<ms>-<seq>`). */
function compareIds(a: string, b: string): number {
  const d = idTime(a) - idTime(b);
  if (d !== 0) return d;
  return Number(a.slice(a.indexOf('-') + 1)) - Number(b.slice(b.indexOf('-') + 1));
}
