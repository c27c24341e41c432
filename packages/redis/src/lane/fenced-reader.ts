import type { Redis } from 'ioredis';
import { FENCE_CHECK_SCRIPT } from '../scripts/lua-scripts.js';
import type { Entry } from './pending-entries.js';

/** The keys and names a lane's fenced commands use. */
export interface FenceConfig {
  readonly stream: string;
  readonly lease: string;
  /** A key only the fence check writes (when the lease is not ours), so the transaction's `WATCH` fires. */
  readonly fence: string;
  readonly group: string;
  readonly consumer: string;
}

/**
 * What a fenced command came to: its reply (it ran while the lease was
 * ours), `lost` (the lease is not ours: nothing ran), or `retry` (the lease
 * key changed between the check and the command, e.g. our own renewal:
 * nothing ran; check again).
 */
export type Fenced<T> =
  | { readonly kind: 'ran'; readonly reply: T; readonly lastId: string | undefined }
  | { readonly kind: 'lost' }
  | { readonly kind: 'retry' };

/** Entries a fenced read took, and whether the stream had no more. */
export type ReadOutcome = Fenced<Entry[]>;

/** A wait for new entries before a read: `XREAD BLOCK` from `after` (takes nothing). */
export interface WaitFirst {
  readonly after: string;
  readonly blockMs: number;
}

/** A reply the pipeline does not explain (the check failed, a reply of the wrong shape): the read's effect is unknown. */
export class FenceReplyError extends Error {
  override readonly name = 'FenceReplyError';
}

type Socket = { cork(): void; uncork(): void } | undefined;

/**
 * Commands on a lane's own connection that run only while the partition's
 * lease names this member, at the price of a plain command. One write sends
 *
 * ```
 * [XREAD COUNT 1 BLOCK ms STREAMS stream after]   (optional: wait for new entries)
 * WATCH lease fence
 * EVAL <check> lease fence stream me group        (lease not mine: write the fence key)
 * MULTI; <command>; EXEC
 * ```
 *
 * `EXEC` runs the command only if neither watched key changed since the
 * `WATCH`: the check found the lease ours (else it wrote the fence key) and
 * nobody took, deleted or let it expire since (Redis ≥ 6.0.9 aborts a
 * transaction whose watched key expired). So the server decides, at the
 * moment the command runs, and a member stalled past its lease, or whose
 * commands a network delayed, takes nothing. The check is a small script
 * sent with `EVAL` (never `EVALSHA`: a `NOSCRIPT` reply would let the
 * transaction run unchecked), and the command's reply is the `EXEC` reply, so
 * Redis never converts entries to Lua tables and back (what a fenced read
 * inside a script cost). A blocked `XREAD` holds the rest of the pipeline on
 * the server until entries arrive, so a wake-up and its read are one round
 * trip.
 */
export class FencedReader {
  constructor(
    /** The lane's reading connection (replaced when a cluster slot moves: see RedisLane). */
    private readonly reader: () => Redis,
    private readonly cfg: FenceConfig,
  ) {}

  /**
   * New entries for this consumer (`XREADGROUP … COUNT count … >`), fenced.
   * `lastId` (when `wantLast`) is the group's last delivered id before the
   * read, which a lane that read nothing yet waits from.
   */
  read(count: number, wait: WaitFirst | undefined, wantLast: boolean): Promise<ReadOutcome> {
    const { group, consumer, stream } = this.cfg;
    return this.run(
      ['XREADGROUP', 'GROUP', group, consumer, 'COUNT', String(count), 'STREAMS', stream, '>'],
      wait,
      wantLast,
    ).then((out) => {
      if (out.kind !== 'ran') return out;
      const reply = out.reply as [Buffer, Entry[]][] | null;
      if (reply !== null && !Array.isArray(reply)) throw new FenceReplyError('XREADGROUP: unexpected reply');
      return { kind: 'ran', reply: reply?.[0]?.[1] ?? [], lastId: out.lastId };
    });
  }

  /** Any command (its reply as Buffers), fenced: `XAUTOCLAIM` of the pending entries at takeover. */
  command(args: readonly string[]): Promise<Fenced<unknown>> {
    return this.run(args, undefined, false);
  }

  private run(args: readonly string[], wait: WaitFirst | undefined, wantLast: boolean): Promise<Fenced<unknown>> {
    const r = this.reader();
    const { lease, fence, stream, consumer, group } = this.cfg;
    const socket = (r as unknown as { stream?: Socket }).stream;
    socket?.cork();
    const sent: Promise<unknown>[] = [];
    try {
      if (wait !== undefined)
        sent.push(r.call('XREAD', 'COUNT', '1', 'BLOCK', String(wait.blockMs), 'STREAMS', stream, wait.after));
      sent.push(r.call('WATCH', lease, fence));
      const check = r.call('EVAL', FENCE_CHECK_SCRIPT, '3', lease, fence, stream, consumer, group, wantLast ? '1' : '');
      sent.push(check, r.call('MULTI'), r.call(args[0]!, ...args.slice(1)));
      // callBuffer: entries' fields are bytes. (The reader is not auto-pipelined, where ioredis 5 garbles it.)
      sent.push(r.callBuffer('EXEC'));
    } finally {
      socket?.uncork();
    }
    return Promise.allSettled(sent).then((settled) => {
      const [watched, checked, , , exec] = settled.slice(wait === undefined ? 0 : 1);
      // The first failure says why (a dropped connection fails every command after it).
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      // Without the WATCH or the check, an EXEC that ran was unfenced: its effect is not ours to use
      // (the lane replays the pending list, fenced, before it reads again).
      if (watched?.status !== 'fulfilled') throw failed?.reason ?? new FenceReplyError('WATCH: no reply');
      if (checked?.status !== 'fulfilled') throw failed?.reason ?? new FenceReplyError('fence check: no reply');
      const verdict = checked.value;
      if (verdict === 0) return { kind: 'lost' };
      if (exec?.status !== 'fulfilled') throw failed?.reason ?? new FenceReplyError('EXEC: no reply');
      if (exec.value === null) return { kind: 'retry' };
      const replies = exec.value as unknown[];
      if (replies[0] instanceof Error) throw replies[0];
      const lastId = typeof verdict === 'string' ? verdict : undefined;
      return { kind: 'ran', reply: replies[0], lastId };
    });
  }
}
