import type { Redis } from 'ioredis';
import {
  DLQ_HEADERS,
  RETRY_HEADERS,
  type Clock,
  type InboundRecord,
  type MessageLaneHandle,
  type LaneId,
  type LaneSink,
} from '@partita/core';
import { mapRedisError } from '../errors/map-redis-error.js';
import { fromFields, toFields } from '../record/record-fields.js';
import type { ScriptRunner } from '../scripts/script-runner.js';
import type { RedisClient } from '../transport/redis-connection.js';
import { FencedReader, type ReadOutcome } from './fenced-reader.js';
import { LaneHousekeeping } from './lane-housekeeping.js';
import { PendingEntries, type Entry } from './pending-entries.js';

/** Settings of one lane (one owned partition). */
export interface RedisLaneConfig {
  readonly id: LaneId;
  readonly stream: string;
  /** The partition's lease key: reads are fenced by it (see FencedReader), with the fence key. */
  readonly lease: string;
  readonly fence: string;
  readonly delayed: string;
  readonly delayedData: string;
  readonly consumer: string;
  readonly maxInFlight: number;
  readonly blockMs: number;
  readonly claimTimeoutMs: number;
  readonly maxLen: number;
  readonly clock: Clock;
  /**
   * Redis Cluster: after a failed read, a new reading connection when the
   * partition's slot is served by another node now (a `MOVED` reply, a
   * failover); undefined: keep this one.
   */
  readonly follow?: (err: unknown, reader: Redis) => Redis | undefined;
}

/** Reads pipelined on a lane's reading connection. */
const MAX_READS = 2;
/**
 * Entries a lane holds unsettled, in `maxInFlight`s (docs/architecture.md,
 * decision 59): the runtime settles a batch a turn after its handlers ran,
 * so with only `maxInFlight` held the next read waited for that turn. With
 * two, one read of up to `maxInFlight` is on its way while the runtime
 * handles and settles the last one, as the raw `XREADGROUP COUNT` loop's is.
 */
const WINDOW = 2;

/**
 * One owned partition of a topic for one group. Reads in stream order: first
 * the partition's pending entries (claimed with `XAUTOCLAIM` from whoever
 * held them, so a new owner replays what the previous one left unsettled),
 * then new entries with `XREADGROUP` fenced by the lease (see FencedReader;
 * once the stream is drained a read first waits with `XREAD BLOCK`), each
 * read up to `maxInFlight` entries and never more than {@link WINDOW} ×
 * `maxInFlight` unsettled (the runtime runs at most `maxInFlight` at once;
 * the rest waits in the lane, held by this consumer, which the sweep leaves
 * alone). Settles with `XACK`; `nack` moves the entry to the
 * partition's delayed set and acks it in one script; due entries come back at
 * the end of the stream, with the next attempt and the failing group in
 * their headers (only that group handles them).
 *
 * Attempts: an entry's `deliveryCount` is its pending-list delivery count.
 * Entries the lane hands back unhandled at revocation get their count
 * lowered by one first, so a hand-back is not counted as an attempt.
 *
 * A read that fails (its connection dropped, its reply maybe lost) sends
 * the lane back to replaying the pending list before it reads new entries,
 * so entries a lost reply left pending come first.
 *
 * Contract: after `stopReading()` nothing more is delivered; `settle`/`nack`
 * of a record the lane no longer tracks are ignored.
 */
export class RedisLane implements MessageLaneHandle {
  readonly ackModel = 'message' as const;
  readonly id: LaneId;
  private sink: LaneSink | undefined;
  /** Delivered, unsettled entries: id → delivery count. */
  private readonly unsettled = new Map<string, number>();
  private paused = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  /** Reads in flight on the reading connection, and the entries they asked for. */
  private reads = 0;
  private requested = 0;
  private readError: Error | undefined;
  /** After a read found the lease gone: no read before this time. */
  private fencedUntil = 0;
  /** The last read found the stream drained: the next one waits for new entries first (`XREAD BLOCK`). */
  private drained = false;
  /** The group's last delivered id as this lane knows it (from its reads): where a wait starts. */
  private lastId: string | undefined;
  private readonly fenced: FencedReader;
  private readonly pending: PendingEntries;
  private readonly housekeeping: LaneHousekeeping;
  /** Last read failure, for health; cleared by a successful read. */
  lastError: string | undefined;
  delivered = 0;

  constructor(
    private reader: Redis,
    private readonly cmd: RedisClient,
    private readonly scripts: ScriptRunner,
    private readonly cfg: RedisLaneConfig,
  ) {
    this.id = cfg.id;
    this.fenced = new FencedReader(() => this.reader, {
      stream: cfg.stream,
      lease: cfg.lease,
      fence: cfg.fence,
      group: cfg.id.group,
      consumer: cfg.consumer,
    });
    this.pending = new PendingEntries(this.fenced, cmd, cfg.stream, cfg.id.group, cfg.consumer, cfg.claimTimeoutMs);
    this.housekeeping = new LaneHousekeeping(
      scripts,
      this.pending,
      cfg,
      ({ entries, counts }) => this.deliver(entries, (id) => counts.get(id) ?? 1),
      (id) => this.unsettled.has(id),
      (err) => {
        this.lastError = err instanceof Error ? err.message : String(err);
      },
    );
  }

  get unsettledCount(): number {
    return this.unsettled.size;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  start(sink: LaneSink): void {
    this.sink = sink;
    this.loop = this.run();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.poke();
  }

  async settle(records: readonly InboundRecord[], _outcome: 'ack' | 'term'): Promise<void> {
    const ids: string[] = [];
    for (const r of records) if (this.unsettled.delete(r.offset)) ids.push(r.offset);
    if (ids.length === 0) return;
    // The window frees at once, so reads overlap the ack's round trip. An ack that fails leaves the
    // entries pending on this consumer but no longer held: the sweep claims them again after the
    // claim timeout (at-least-once).
    this.poke();
    try {
      await this.cmd.xack(this.cfg.stream, this.id.group, ...ids);
    } catch (err) {
      throw mapRedisError(err, `XACK on "${this.id.topic}" partition ${this.id.partition}`);
    }
  }

  async nack(record: InboundRecord, delayMs: number): Promise<void> {
    if (!this.unsettled.has(record.offset)) return;
    const attempt = Number(record.headers[RETRY_HEADERS.attempt]) || record.deliveryCount || 1;
    const headers: Record<string, string> = { ...record.headers };
    if (headers[DLQ_HEADERS.topic] === undefined) {
      headers[DLQ_HEADERS.topic] = this.id.topic;
      headers[DLQ_HEADERS.partition] = String(this.id.partition);
      headers[DLQ_HEADERS.offset] = record.offset;
      if (record.key !== undefined) headers[DLQ_HEADERS.key] = record.key;
    }
    headers[RETRY_HEADERS.attempt] = String(attempt + 1);
    headers[RETRY_HEADERS.targetGroup] = this.id.group;
    const fields = toFields({ key: record.key, value: record.value, headers });
    let due: number;
    try {
      due = Number(
        await this.scripts.delay(
          [this.cfg.stream, this.cfg.delayed, this.cfg.delayedData],
          [this.id.group, record.offset, String(Math.max(0, Math.round(delayMs))), uid(), ...fields],
        ),
      );
    } catch (err) {
      throw mapRedisError(err, `delayed retry on "${this.id.topic}" partition ${this.id.partition}`);
    }
    this.unsettled.delete(record.offset);
    // Server time may differ from ours: wake soon after the local equivalent of the delay.
    this.housekeeping.dueAt(this.cfg.clock.now() + Math.max(0, delayMs));
    void due;
    this.poke();
  }

  /** Stop reading (the blocking read is cut by the caller closing the reader). Records delivered stay settleable. */
  async stopReading(): Promise<void> {
    this.stopped = true;
    this.poke();
    this.reader.disconnect();
    await this.loop?.catch(() => undefined);
    await this.housekeeping.settled();
  }

  /**
   * After revocation: hand back what the runtime left unsettled and free the
   * lease, in one script that does nothing unless the lease is still this
   * member's (a new owner may hold those entries by then). Each entry's
   * delivery count is lowered by one (`XCLAIM … RETRYCOUNT`), so the next
   * owner's replay does not count the hand-back as an attempt.
   */
  async release(): Promise<void> {
    const args: string[] = [this.cfg.consumer, this.id.group];
    for (const [id, count] of this.unsettled) args.push(id, String(count));
    this.unsettled.clear();
    await this.scripts.release([this.cfg.lease, this.cfg.stream], args);
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Wait for a poke (or `ms`); returns at once once stopped, so a stop never waits on a sleeping loop. */
  private sleep(ms: number | undefined): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      if (ms !== undefined) this.cfg.clock.setTimeout(() => this.poke(), ms);
    });
  }

  private credit(): number {
    return this.paused ? 0 : WINDOW * this.cfg.maxInFlight - this.unsettled.size;
  }

  private async run(): Promise<void> {
    let failures = 0;
    let recovering = true;
    let cursor = '0-0';
    const threshold = Math.max(1, Math.floor(this.cfg.maxInFlight / 4));
    const perRead = this.cfg.maxInFlight;
    while (!this.stopped) {
      try {
        this.housekeeping.maybeRun();
        const failed = this.readError;
        this.readError = undefined;
        if (failed !== undefined) throw failed;
        if (recovering) {
          const credit = this.credit();
          if (credit <= 0) {
            await this.sleep(undefined);
            continue;
          }
          const claimed = await this.pending.claim(cursor, credit);
          if (typeof claimed === 'string') {
            if (claimed === 'lost') {
              this.fencedUntil = this.cfg.clock.now() + this.cfg.blockMs;
              await this.sleep(this.cfg.blockMs);
            }
            continue;
          }
          this.deliver(claimed.entries, (id) => claimed.counts.get(id) ?? 1);
          if (claimed.next === '0-0') recovering = false;
          cursor = claimed.next;
        } else {
          // Each read asks for at most half the window, so a second read is on its way while the first is handled.
          const credit = Math.min(this.credit() - this.requested, perRead);
          const fenced = this.fencedUntil > this.cfg.clock.now();
          // A drained stream gets one read at a time, which first waits for new entries.
          const room = this.drained ? this.reads === 0 : this.reads < MAX_READS;
          if (!fenced && room && credit > 0 && (credit >= threshold || this.reads === 0)) {
            this.startRead(credit);
            if (!this.drained && this.reads < MAX_READS) continue;
          }
          await this.sleep(fenced ? this.cfg.blockMs : undefined);
        }
        failures = 0;
        if (this.reads === 0 || !recovering) this.lastError = undefined;
      } catch (err) {
        if (this.stopped) break;
        // A read that failed may have been served with its reply lost (a dropped connection): its entries are
        // pending on this consumer, unseen. Replay the pending list again before reading new entries, so they
        // come first and key order holds.
        recovering = true;
        cursor = '0-0';
        failures++;
        const moved = this.cfg.follow?.(err, this.reader);
        if (moved !== undefined) {
          this.reader.disconnect();
          this.reader = moved;
        }
        this.lastError = err instanceof Error ? err.message : String(err);
        await this.sleep(Math.min(2000, 50 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  /**
   * Read new entries, fenced by the lease: up to {@link MAX_READS} reads are
   * pipelined on the reading connection, so the next batch is on its way
   * while the runtime handles this one. Replies come in order, so the lane
   * delivers in stream order. Once a read came back short (the stream is
   * drained), the next read first waits for a new entry with `XREAD BLOCK`
   * from the group's last delivered id, in the same write: the wake-up and
   * the read are one round trip, as a blocking `XREADGROUP` would be.
   */
  private startRead(count: number): void {
    this.reads++;
    this.requested += count;
    const done = (): void => {
      this.reads--;
      this.requested -= count;
      this.poke();
    };
    let wait: { after: string; blockMs: number } | undefined;
    if (this.drained && this.lastId !== undefined) {
      const next = this.housekeeping.nextDueAt;
      const due = next > 0 ? Math.max(10, next - this.cfg.clock.now()) : this.cfg.blockMs;
      wait = { after: this.lastId, blockMs: Math.min(this.cfg.blockMs, due) };
    }
    this.fenced.read(count, wait, this.lastId === undefined).then(
      (out) => {
        this.onRead(out, count);
        done();
      },
      (err: unknown) => {
        if (!this.stopped) this.readError = err instanceof Error ? err : new Error('read failed', { cause: err });
        done();
      },
    );
  }

  private onRead(out: ReadOutcome, count: number): void {
    if (out.kind === 'lost') {
      // The lease is gone (the heartbeat will revoke this lane): read nothing until then.
      this.fencedUntil = this.cfg.clock.now() + this.cfg.blockMs;
      return;
    }
    // 'retry': the lease key changed between the check and the read (our own renewal): nothing was taken.
    if (out.kind === 'retry') return;
    const entries = out.reply;
    if (entries.length > 0) this.lastId = entries.at(-1)![0].toString();
    else if (out.lastId !== undefined) this.lastId = out.lastId;
    this.drained = entries.length < count;
    if (!this.stopped) this.deliver(entries, () => 1);
  }

  private deliver(entries: readonly Entry[], countOf: (id: string) => number): void {
    const batch: InboundRecord[] = [];
    for (const [idBuf, fields] of entries) {
      if (fields === null) continue;
      const id = idBuf.toString();
      if (this.unsettled.has(id)) continue;
      const record = fromFields(id, fields, countOf(id));
      this.unsettled.set(id, record.deliveryCount ?? 1);
      batch.push(record);
    }
    this.delivered += batch.length;
    if (batch.length > 0 && !this.stopped) this.sink?.deliver(batch);
  }
}

let seq = 0;
function uid(): string {
  seq = (seq + 1) % Number.MAX_SAFE_INTEGER;
  return `${process.pid.toString(36)}.${Date.now().toString(36)}.${seq.toString(36)}.${Math.random().toString(36).slice(2, 8)}`;
}
