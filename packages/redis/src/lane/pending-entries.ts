import type { FencedReader } from './fenced-reader.js';
import type { RedisClient } from '../transport/redis-connection.js';

/** A stream entry as ioredis returns it with Buffer replies; `fields` is null for a deleted entry. */
export type Entry = [id: Buffer, fields: Buffer[] | null];

/** Entries claimed for this consumer, with their delivery counts (the attempt each delivery is). */
export interface Claimed {
  readonly entries: Entry[];
  readonly counts: Map<string, number>;
}

type PendingRow = [id: string, consumer: string, idleMs: number, deliveries: number];

/**
 * The pending-entry list of one partition for one group, as a lane uses it:
 * replay (claim everything pending, in id order) and the sweep for entries
 * stuck on nobody. (The hand-back at revocation is the release script.)
 */
export class PendingEntries {
  constructor(
    private readonly reader: FencedReader,
    private readonly cmd: RedisClient,
    private readonly stream: string,
    private readonly group: string,
    private readonly consumer: string,
    private readonly claimTimeoutMs: number,
  ) {}

  /**
   * Claim up to `count` pending entries from `cursor` (`XAUTOCLAIM`, min idle
   * 0: whoever held them) for this consumer, fenced by the lease (`lost`:
   * not ours; `retry`: the lease key changed meanwhile, nothing claimed);
   * `next` is `0-0` when the list is done. Counts are read back after the
   * claim (which counted it).
   */
  async claim(cursor: string, count: number): Promise<(Claimed & { readonly next: string }) | 'lost' | 'retry'> {
    const out = await this.reader.command([
      'XAUTOCLAIM',
      this.stream,
      this.group,
      this.consumer,
      '0',
      cursor,
      'COUNT',
      String(count),
    ]);
    if (out.kind !== 'ran') return out.kind;
    const res = out.reply as [Buffer, Entry[], Buffer[]?];
    const next = res[0].toString();
    const entries = res[1].filter((e) => e[1] !== null);
    if (entries.length === 0) return { next, entries, counts: new Map() };
    const rows = (await this.cmd.call(
      'XPENDING',
      this.stream,
      this.group,
      entries[0]![0].toString(),
      entries.at(-1)![0].toString(),
      String(entries.length),
      this.consumer,
    )) as PendingRow[];
    return { next, entries, counts: new Map(rows.map((r) => [r[0], Number(r[3])])) };
  }

  /**
   * Claim entries idle past the claim timeout that no lane works on: another
   * consumer's, or this consumer's when `held` says the lane does not hold it.
   * Fenced by the lease (nothing claimed when it is not ours).
   */
  async claimStuck(held: (id: string) => boolean): Promise<Claimed> {
    const rows = (await this.cmd.call(
      'XPENDING',
      this.stream,
      this.group,
      'IDLE',
      String(this.claimTimeoutMs),
      '-',
      '+',
      '100',
    )) as PendingRow[];
    const ids = rows.filter((r) => r[1] !== this.consumer || !held(r[0])).map((r) => r[0]);
    if (ids.length === 0) return { entries: [], counts: new Map() };
    const counts = new Map(rows.map((r) => [r[0], Number(r[3]) + 1]));
    // Fenced like a read (on the lane's own connection): a member whose lease lapsed claims nothing.
    const out = await this.reader.command([
      'XCLAIM',
      this.stream,
      this.group,
      this.consumer,
      String(this.claimTimeoutMs),
      ...ids,
    ]);
    if (out.kind !== 'ran') return { entries: [], counts: new Map() };
    return { entries: (out.reply as Entry[]).filter((e) => e[1] !== null), counts };
  }
}
