import type { Clock, Headers, TimerHandle } from '@partita/core';
import type { RetentionOptions } from '../options/broker-options.js';
import type { ValueArena } from './value-arena.js';
import { LogRecord, type StagedRecord, type StoredRecord, type Usage } from './stored-record.js';

/** Hooks a partition calls; the broker wires limits, dead letters and durability through them. */
export interface PartitionHooks {
  /** Whether `sequenced` wants the records (durable mode); saves a copy otherwise. */
  readonly wantsSequenced: () => boolean;
  /** Records entered the log (durable mode writes them). Called synchronously before they become readable. */
  sequenced(partition: Partition, records: readonly StoredRecord[]): void;
  /** Records left the staging area (sequenced or expired): durable mode journals it. */
  unstaged(partition: Partition, records: readonly StagedRecord[]): void;
  /** A record expired before delivery (offset undefined when it expired while staged). */
  expired(
    partition: Partition,
    record: { key: string | undefined; value: Uint8Array | null; headers: Headers; timestamp: number },
    offset: string | undefined,
  ): void;
  /** The oldest retained offset moved up to `base` (records freed, by consumption, retention or purge). */
  trimmed(partition: Partition, base: number): void;
}

interface Bucket {
  readonly priority: number;
  items: StagedRecord[];
  head: number;
}

const EMPTY: readonly StoredRecord[] = Object.freeze([]);

/** Result of `Partition.read`: records to deliver and the position after them. */
export interface ReadResult {
  readonly records: readonly StoredRecord[];
  readonly next: number;
}

/** Records of a partition that are on disk but no longer in memory (durable mode). */
export interface ColdSource {
  /** Up to `max` consecutive records from `from` (fewer at a segment end; empty past the cold range). */
  read(from: number, max: number): StoredRecord[];
  /** First offset whose timestamp is at or after `timestamp`, or undefined when every cold record is older. */
  offsetForTimestamp(timestamp: number): number | undefined;
}

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
  private buckets: Bucket[] = [];
  readyCount = 0;
  private delayed: StagedRecord[] = [];
  private delayedHead = 0;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private readonly listeners = new Set<() => void>();
  expiredCount = 0;
  /** Where values and headers of long-kept records are packed (dead-letter topics in memory mode). */
  arena: ValueArena | undefined;
  /** @internal Publish bookkeeping: end offset before the current batch, -1 outside a batch. */
  touchedFrom = -1;
  /** Offsets removed by a selective purge but still in the log (behind an older kept record); never delivered or browsed. */
  private purged: Set<number> | undefined;

  constructor(
    readonly topic: string,
    readonly index: number,
    private readonly clock: Clock,
    private readonly usage: readonly Usage[],
    private readonly hooks: PartitionHooks,
    private readonly retention: Required<RetentionOptions> = { messages: Infinity, bytes: Infinity, ms: Infinity },
  ) {}

  /** Records waiting for their delay. */
  get delayedCount(): number {
    return this.delayed.length - this.delayedHead;
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
    const now = this.clock.now();
    if (rec.dueAt > now) {
      const d = this.delayed;
      let lo = this.delayedHead;
      let hi = d.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (d[mid]!.dueAt <= rec.dueAt) lo = mid + 1;
        else hi = mid;
      }
      d.splice(lo, 0, rec);
      this.arm();
    } else {
      this.toReady(rec);
    }
  }

  private toReady(rec: StagedRecord): void {
    let b = this.buckets.find((x) => x.priority === rec.priority);
    if (!b) {
      b = { priority: rec.priority, items: [], head: 0 };
      this.buckets.push(b);
      this.buckets.sort((x, y) => y.priority - x.priority);
    }
    b.items.push(rec);
    this.readyCount++;
  }

  private arm(): void {
    if (this.delayedHead >= this.delayed.length) return;
    const at = this.delayed[this.delayedHead]!.dueAt;
    if (at >= this.timerAt) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => this.onTimer(), Math.max(0, at - this.clock.now()));
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    let moved = 0;
    while (this.delayedHead < this.delayed.length && this.delayed[this.delayedHead]!.dueAt <= now) {
      this.toReady(this.delayed[this.delayedHead++]!);
      moved++;
    }
    if (this.delayedHead > 1024 && this.delayedHead * 2 > this.delayed.length) {
      this.delayed = this.delayed.slice(this.delayedHead);
      this.delayedHead = 0;
    }
    this.arm();
    if (moved > 0) this.notify();
  }

  /** Move up to `max` ready staged records into the log, highest priority first. */
  private sequence(max: number): void {
    const from = this.end;
    const now = this.clock.now();
    const done: StagedRecord[] = [];
    let taken = 0;
    for (const b of this.buckets) {
      while (taken < max && b.head < b.items.length) {
        const s = b.items[b.head++]!;
        this.readyCount--;
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
      if (b.head === b.items.length) {
        b.items = [];
        b.head = 0;
      }
      if (taken >= max) break;
    }
    this.buckets = this.buckets.filter((b) => b.items.length > b.head);
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
        return { records: this.dropPurged(this.ttlFilterCold(recs)), next };
      // reached the in-memory tail: continue there in the same read
      const hot = this.read(next, max - recs.length);
      return { records: [...this.dropPurged(this.ttlFilterCold(recs)), ...hot.records], next: hot.next };
    }
    const s = from - this.hotBase + this.head;
    const e = Math.min(s + max, this.records.length);
    let out = this.records.slice(s, e);
    if (this.ttlCount > 0) out = this.dropExpired(out);
    out = this.dropPurged(out);
    if (this.arena) {
      const a = this.arena;
      out = out.map((r) => a.materialize(r));
    }
    return { records: out, next: from + (e - s) };
  }

  /**
   * Up to `max` log records from `position` (clamped to the oldest retained
   * offset) for an operator's browse: no delivery side effects (staged
   * records stay staged, expired ones are skipped without being reported),
   * purged ones skipped. `next` is the position after the scanned range.
   */
  browse(position: number, max: number): ReadResult {
    const out: StoredRecord[] = [];
    let pos = position < this.base ? this.base : position;
    const now = this.clock.now();
    while (out.length < max && pos < this.end) {
      let chunk: readonly StoredRecord[];
      if (pos < this.hotBase && this.cold) {
        chunk = this.cold.read(pos, Math.min(max - out.length, this.hotBase - pos));
        if (chunk.length === 0) {
          pos = this.hotBase;
          continue;
        }
      } else {
        const s = pos - this.hotBase + this.head;
        chunk = this.records.slice(s, s + max - out.length);
        if (chunk.length === 0) break;
      }
      for (const r of chunk) {
        const at = pos++;
        if (r.expired || (r.expiresAt !== 0 && r.expiresAt <= now) || this.purged?.has(at)) continue;
        out.push(this.arena ? this.arena.materialize(r) : r);
      }
    }
    return { records: out, next: pos };
  }

  /** Records in the log that a reader can still get (retained minus purged). */
  get liveCount(): number {
    return this.end - this.base - (this.purged?.size ?? 0);
  }

  /** Purged offsets in `[from, end)` (to subtract from a lag). */
  purgedFrom(from: number): number {
    if (!this.purged) return 0;
    let n = 0;
    for (const o of this.purged) if (o >= from) n++;
    return n;
  }

  /**
   * Remove single records: they are never delivered or browsed again; the log
   * frees them once no older record is kept. Offsets outside the log or
   * already purged are ignored. Returns the offsets actually removed.
   */
  purgeOffsets(offsets: readonly number[]): number[] {
    const removed: number[] = [];
    for (const o of offsets) {
      if (!Number.isInteger(o) || o < this.base || o >= this.end || this.purged?.has(o)) continue;
      (this.purged ??= new Set()).add(o);
      removed.push(o);
    }
    let base = this.base;
    while (this.purged?.has(base)) base++;
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
    this.buckets = [];
    this.readyCount = 0;
    this.delayed = [];
    this.delayedHead = 0;
    if (staged.length > 0) this.hooks.unstaged(this, staged);
    this.trimTo(this.end);
    return n;
  }

  private dropPurged(recs: StoredRecord[]): StoredRecord[] {
    const purged = this.purged;
    return purged === undefined ? recs : recs.filter((r) => !purged.has(Number(r.offset)));
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
    if (this.purged) {
      for (const o of this.purged) if (o < upTo) this.purged.delete(o);
      if (this.purged.size === 0) this.purged = undefined;
    }
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
    const out: StagedRecord[] = [];
    for (const b of this.buckets) for (let i = b.head; i < b.items.length; i++) out.push(b.items[i]!);
    for (let i = this.delayedHead; i < this.delayed.length; i++) out.push(this.delayed[i]!);
    return out;
  }

  /** Cancel the delay timer. */
  close(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    this.listeners.clear();
  }
}
