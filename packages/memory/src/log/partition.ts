import type { Clock, Headers } from '@partita/core';
import type { RetentionOptions } from '../options/broker-options.js';
import type { ColdSource } from './cold-source.js';
import type { PartitionHooks, ReadResult } from './partition-hooks.js';
import { PurgedOffsets } from './purged-offsets.js';
import { StagingArea } from './staging-area.js';
import type { ValueArena } from './value-arena.js';
import { LogRecord, type StagedRecord, type StoredRecord, type Usage } from './stored-record.js';

const EMPTY: readonly StoredRecord[] = Object.freeze([]);

/**
 * One partition: an append-only log of `StoredRecord`s in a flat array
 * (offset = `hotBase + index - head`; in durable mode older records are read
 * from disk through `cold`), plus a staging area for records that are
 * delayed or wait behind higher priorities. Staged records enter the log
 * (get an offset) when they are due and a reader reached the end of the log,
 * highest priority first, FIFO among equal priorities.
 */
export class Partition {
  private records: StoredRecord[] = [];
  private head = 0;
  /** Offset of the oldest retained record (on disk or in memory). */
  base = 0;
  /** Offset of the oldest record held in memory (`records[head]`); equals `base` in memory mode. */
  hotBase = 0;
  /** Durable mode: reads below `hotBase` go here. */
  cold: ColdSource | undefined;
  /** Next offset to be assigned. */
  end = 0;
  /** Retained bytes in the log (not staged). */
  bytes = 0;
  private ttlCount = 0;
  private lastTimestamp = 0;
  private readonly staging: StagingArea;
  private readonly listeners = new Set<() => void>();
  expiredCount = 0;
  /** Where values and headers of long-kept records are packed (dead-letter topics in memory mode). */
  arena: ValueArena | undefined;
  /** @internal Publish bookkeeping: end offset before the current batch, -1 outside a batch. */
  touchedFrom = -1;
  /** Offsets removed by a selective purge but still in the log (behind an older kept record); never delivered or browsed. */
  private readonly purged = new PurgedOffsets();

  constructor(
    readonly topic: string,
    readonly index: number,
    private readonly clock: Clock,
    private readonly usage: readonly Usage[],
    private readonly hooks: PartitionHooks,
    private readonly retention: Required<RetentionOptions> = { messages: Infinity, bytes: Infinity, ms: Infinity },
  ) {
    this.staging = new StagingArea(clock, () => this.notify());
  }

  /** Staged records that are due (waiting for a reader at the end of the log). */
  get readyCount(): number {
    return this.staging.readyCount;
  }

  /** Records waiting for their delay. */
  get delayedCount(): number {
    return this.staging.delayedCount;
  }

  /** Called (synchronously) whenever new records become readable. Listeners must not deliver re-entrantly. */
  listen(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(): void {
    for (const fn of this.listeners) fn();
  }

  /** Whether a reader at `position` has something to read. */
  hasData(position: number): boolean {
    return position < this.end || this.readyCount > 0;
  }

  /** Append records straight to the log (fast path; caller accounted usage and checked order rules). */
  appendNow(
    key: string | undefined,
    value: Uint8Array | null,
    headers: Headers,
    expiresAt: number,
    bytes: number,
    priority: number,
    now: number,
  ): StoredRecord {
    const ts = now > this.lastTimestamp ? now : this.lastTimestamp;
    this.lastTimestamp = ts;
    const rec: StoredRecord = this.arena
      ? this.arena.record(key, value, headers, this.end++, ts, expiresAt, bytes, priority)
      : new LogRecord(key, value, headers, this.end++, ts, expiresAt, bytes, priority);
    this.records.push(rec);
    this.bytes += bytes;
    if (expiresAt !== 0) this.ttlCount++;
    return rec;
  }

  /** Timestamp for records entering the log now (never decreasing). */
  stamp(now: number): number {
    return now > this.lastTimestamp ? now : this.lastTimestamp;
  }

  /**
   * Durable publish fast path: `count` records were written straight to disk
   * at offsets [end, end + count) with `timestamp`; they are read back from
   * disk, nothing is kept in memory.
   */
  appendWritten(count: number, timestamp: number): void {
    this.dropHot(this.end);
    this.end += count;
    this.hotBase = this.end;
    this.lastTimestamp = timestamp;
  }

  /** @internal Publish bookkeeping: indexes of the current batch's records taking the durable fast path. */
  pendingIdx: number[] = [];

  /** Whether a record with this priority and due time may bypass staging. */
  canAppendNow(priority: number, dueAt: number, now: number): boolean {
    return priority === 0 && dueAt <= now && this.readyCount === 0;
  }

  /** Restore a staged record from the durable journal (accounts usage). */
  restoreStaged(rec: StagedRecord): void {
    for (const u of this.usage) {
      u.bytes += rec.bytes;
      u.messages++;
    }
    this.stage(rec);
  }

  /** Durable recovery: offsets [start, end) are on disk, none in memory. */
  resetCold(start: number, end: number, lastTimestamp: number): void {
    this.records = [];
    this.head = 0;
    this.base = start;
    this.hotBase = end;
    this.end = end;
    this.bytes = 0;
    this.ttlCount = 0;
    if (lastTimestamp > this.lastTimestamp) this.lastTimestamp = lastTimestamp;
  }

  /** Hand freshly appended log records to the hooks and wake readers. */
  commitAppended(from: number): void {
    if (this.hooks.wantsSequenced() && this.end > from && from >= this.hotBase) {
      this.hooks.sequenced(this, this.records.slice(from - this.hotBase + this.head));
    }
    this.notify();
  }

  /** Put a record into the staging area (delayed or prioritised). */
  stage(rec: StagedRecord): void {
    this.staging.add(rec);
  }

  /** Move up to `max` ready staged records into the log, highest priority first. */
  private sequence(max: number): void {
    const from = this.end;
    const now = this.clock.now();
    const done: StagedRecord[] = [];
    let taken = 0;
    while (taken < max) {
      const s = this.staging.takeReady();
      if (s === undefined) break;
      done.push(s);
      if (s.expiresAt !== 0 && s.expiresAt <= now) {
        for (const u of this.usage) {
          u.bytes -= s.bytes;
          u.messages--;
        }
        this.expiredCount++;
        this.hooks.expired(
          this,
          { key: s.key, value: s.value, headers: s.headers, timestamp: s.publishedAt },
          undefined,
        );
        continue;
      }
      this.appendNow(s.key, s.value, s.headers, s.expiresAt, s.bytes, s.priority, now);
      taken++;
    }
    // log first, then the staging journal: a crash in between duplicates, never loses
    if (this.end > from && this.hooks.wantsSequenced())
      this.hooks.sequenced(this, this.records.slice(from - this.hotBase + this.head));
    if (done.length > 0) this.hooks.unstaged(this, done);
  }

  /**
   * Read up to `max` records from `position` (clamped to the oldest retained
   * offset). Expired records are skipped (and reported once). When the reader
   * is at the end of the log, ready staged records are sequenced first.
   */
  read(position: number, max: number): ReadResult {
    if (this.retention.ms !== Infinity) {
      const first = this.records[this.head];
      if (first && first.timestamp < this.clock.now() - this.retention.ms) this.retain();
    }
    const from = position < this.base ? this.base : position;
    if (this.readyCount > 0 && this.end - from < max) this.sequence(max - Math.max(0, this.end - from));
    if (from >= this.end) return { records: EMPTY, next: from };
    if (from < this.hotBase && this.cold) {
      const recs = this.cold.read(from, Math.min(max, this.hotBase - from));
      const next = recs.length > 0 ? from + recs.length : this.hotBase;
      if (next < this.hotBase || recs.length === max)
        return { records: this.purged.filter(this.ttlFilterCold(recs)), next };
      // reached the in-memory tail: continue there in the same read
      const hot = this.read(next, max - recs.length);
      return { records: [...this.purged.filter(this.ttlFilterCold(recs)), ...hot.records], next: hot.next };
    }
    const s = from - this.hotBase + this.head;
    const e = Math.min(s + max, this.records.length);
    let out = this.records.slice(s, e);
    if (this.ttlCount > 0) out = this.dropExpired(out);
    out = this.purged.filter(out);
    if (this.arena) {
      const a = this.arena;
      out = out.map((r) => a.materialize(r));
    }
    return { records: out, next: from + (e - s) };
  }

  /** In-memory log records from offset `from` (at least `hotBase`), at most `max`; arena-packed ones as they are stored. */
  hotSlice(from: number, max: number): readonly StoredRecord[] {
    const s = from - this.hotBase + this.head;
    return this.records.slice(s, s + max);
  }

  /** Whether the record at `offset` was purged (still in the log, never delivered or browsed). */
  isPurged(offset: number): boolean {
    return this.purged.has(offset);
  }

  /** A record as a reader gets it (unpacked from the arena where it is kept). */
  materialize(record: StoredRecord): StoredRecord {
    return this.arena ? this.arena.materialize(record) : record;
  }

  /** Records in the log that a reader can still get (retained minus purged). */
  get liveCount(): number {
    return this.end - this.base - this.purged.size;
  }

  /** Purged offsets in `[from, end)` (to subtract from a lag). */
  purgedFrom(from: number): number {
    return this.purged.countFrom(from);
  }

  /**
   * Remove single records: they are never delivered or browsed again; the log
   * frees them once no older record is kept. Offsets outside the log or
   * already purged are ignored. Returns the offsets actually removed.
   */
  purgeOffsets(offsets: readonly number[]): number[] {
    const removed: number[] = [];
    for (const o of offsets) {
      if (!Number.isInteger(o) || o < this.base || o >= this.end || this.purged.has(o)) continue;
      this.purged.add(o);
      removed.push(o);
    }
    let base = this.base;
    while (this.purged.has(base)) base++;
    if (base > this.base) this.trimTo(base);
    return removed;
  }

  /** Remove every record: the log (trimmed to its end) and the staged ones. Returns how many a reader could have got. */
  purgeAll(): number {
    const n = this.liveCount + this.readyCount + this.delayedCount;
    const staged = this.staged();
    for (const rec of staged)
      for (const u of this.usage) {
        u.bytes -= rec.bytes;
        u.messages--;
      }
    this.staging.clear();
    if (staged.length > 0) this.hooks.unstaged(this, staged);
    this.trimTo(this.end);
    return n;
  }

  private ttlFilterCold(recs: StoredRecord[]): StoredRecord[] {
    for (const r of recs) if (r.expiresAt !== 0) return this.dropExpired(recs);
    return recs;
  }

  private dropExpired(recs: StoredRecord[]): StoredRecord[] {
    const now = this.clock.now();
    let keep: StoredRecord[] | undefined;
    for (let i = 0; i < recs.length; i++) {
      const r = recs[i]!;
      const dead = r.expired || (r.expiresAt !== 0 && r.expiresAt <= now);
      if (dead) {
        if (!keep) keep = recs.slice(0, i);
        if (!r.expired) {
          r.expired = true;
          this.expiredCount++;
          this.hooks.expired(this, r, r.offset);
        }
      } else if (keep) keep.push(r);
    }
    return keep ?? recs;
  }

  /** Drop every record below `offset` (retention or reclaiming consumed space). */
  trimTo(offset: number): number {
    const upTo = Math.min(offset, this.end);
    if (upTo <= this.base) return 0;
    const n = upTo - this.base;
    this.dropHot(upTo);
    this.base = upTo;
    this.purged.forgetBelow(upTo);
    this.hooks.trimmed(this, upTo);
    return n;
  }

  /**
   * Apply the topic's retention: keep at most `messages` records, and (of the
   * records in memory) at most `bytes` accounted bytes and none older than
   * `ms`. Returns how many records were dropped.
   */
  retain(): number {
    const { messages, bytes, ms } = this.retention;
    const minTimestamp = ms === Infinity ? -Infinity : this.clock.now() - ms;
    let upTo = this.base;
    if (this.end - upTo > messages) upTo = this.end - messages;
    const recs = this.records;
    let i = this.head + Math.max(0, upTo - this.hotBase);
    if (i < this.head) i = this.head;
    if (this.bytes > bytes) {
      let held = this.bytes;
      for (let j = this.head; j < i; j++) held -= recs[j]!.bytes;
      while (held > bytes && i < recs.length) held -= recs[i++]!.bytes;
    }
    while (i < recs.length && recs[i]!.timestamp < minTimestamp) i++;
    if (i > this.head) upTo = Math.max(upTo, this.hotBase + (i - this.head));
    return this.trimTo(upTo);
  }

  /** Release in-memory records below `offset` (durable mode: they stay readable from disk). */
  dropHot(offset: number): void {
    const upTo = Math.min(offset, this.end);
    if (upTo <= this.hotBase) return;
    let freed = 0;
    const n = upTo - this.hotBase;
    for (let i = this.head; i < this.head + n; i++) {
      const r = this.records[i]!;
      freed += r.bytes;
      if (r.expiresAt !== 0) this.ttlCount--;
      this.arena?.release(r);
    }
    this.head += n;
    this.hotBase = upTo;
    this.bytes -= freed;
    for (const u of this.usage) {
      u.bytes -= freed;
      u.messages -= n;
    }
    if (this.head > 1024 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
  }

  /** First offset whose timestamp is at or after `timestamp` (the end offset when none). */
  offsetForTimestamp(timestamp: number): number {
    const firstHot = this.records[this.head];
    if (this.cold && this.base < this.hotBase && (!firstHot || firstHot.timestamp >= timestamp)) {
      const off = this.cold.offsetForTimestamp(timestamp);
      if (off !== undefined) return Math.max(off, this.base);
    }
    let lo = this.head;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.records[mid]!.timestamp < timestamp) lo = mid + 1;
      else hi = mid;
    }
    return this.hotBase + (lo - this.head);
  }

  /** Staged records (ready and delayed), for stats and durable snapshots. */
  staged(): StagedRecord[] {
    return this.staging.list();
  }

  /** Cancel the delay timer. */
  close(): void {
    this.staging.close();
    this.listeners.clear();
  }
}
