import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ColdSource } from '../log/cold-source.js';
import type { StoredRecord } from '../log/stored-record.js';
import { encodeBatch, encodeEntries, type PublishedLike } from './record-codec.js';
import { scanFile, writeAll } from './scan-file.js';
import { lowerBound, packIndex } from './segment-index.js';
import { loadIndexes, newSegment, readSegment, removeSegmentFiles, segmentFile, type Segment } from './segment.js';

export { writeAll } from './scan-file.js';

/** Bytes between offset-index entries. */
const INDEX_INTERVAL_BYTES = 4096;
/** Ms between time-index entries. */
const TIME_INDEX_INTERVAL_MS = 1000;
export interface SegmentLogOptions {
  readonly segmentBytes: number;
  readonly retentionBytes: number;
  readonly retentionMs: number;
  readonly warn: (message: string) => void;
  /** Check every record's CRC (else only the active segment's). */
  readonly verifyChecksums: boolean;
  /** The previous close was clean: non-active segments are trusted with their index files. */
  readonly clean: boolean;
  /**
   * Takes the file descriptors of a segment that was just rolled (log, index,
   * time index; everything written): the caller syncs and closes them off the
   * hot path (a synchronous fsync of a 64 MiB segment would stall every append).
   */
  readonly retire: (fds: readonly number[]) => void;
}

/** What recovery of one partition found. */
export interface RecoveryReport {
  readonly segments: number;
  readonly truncatedBytes: number;
  readonly problems: readonly string[];
}

/** One reused encode buffer for every segment log: writes copy it to the kernel at once. */
let scratch = Buffer.allocUnsafe(0);
const scratchOf = (size: number): Buffer => {
  if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2, 64 * 1024));
  return scratch;
};

/**
 * One partition's append-only log on disk: segment files named by their base
 * offset (20 digits), each with a sparse offset index (`.index`: u32 relative
 * offset, u32 byte position of the batch frame, every ~4 KiB) and a time index
 * (`.timeindex`: f64 timestamp, u32 relative offset, every ~1 s and at roll).
 * Appends are synchronous `write`s (fsync is the caller's policy: `fd`,
 * `dirty`). It is also the partition's `ColdSource`: records no longer in
 * memory are read back through the offset index.
 */
export class SegmentLog implements ColdSource {
  private segments: Segment[] = [];
  fd = -1;
  dirty = false;
  private indexFd = -1;
  private timeFd = -1;
  private lastIndexedPos = -Infinity;
  private lastTimeIndexed = -Infinity;
  /** Entries of the active segment's indexes already in its index files. */
  private idxWritten = 0;
  private timeWritten = 0;

  constructor(
    private readonly dir: string,
    private readonly o: SegmentLogOptions,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /**
   * Check the segments, truncate a torn or corrupt tail with a warning (and
   * drop later segments), rebuild indexes. After a clean close, non-active
   * segments with index files are trusted without a scan.
   */
  recover(): RecoveryReport {
    const bases = readdirSync(this.dir)
      .filter((f) => /^\d{20}\.log$/.test(f))
      .map((f) => Number(f.slice(0, 20)))
      .sort((a, b) => a - b);
    let truncated = 0;
    const problems: string[] = [];
    for (let i = 0; i < bases.length; i++) {
      const base = bases[i]!;
      const last = i === bases.length - 1;
      const seg = newSegment(base);
      if (this.o.clean && !last && loadIndexes(this.dir, seg, bases[i + 1]!)) {
        this.segments.push(seg);
        continue;
      }
      const path = join(this.dir, segmentFile(base, 'log'));
      let lastIdx = -Infinity;
      let lastTime = -Infinity;
      const res = scanFile(path, this.o.verifyChecksums || last, (e, pos) => {
        if (e.offset !== seg.next) return false;
        if (pos - lastIdx >= INDEX_INTERVAL_BYTES) {
          seg.idxRel.push(e.offset - base);
          seg.idxPos.push(pos);
          lastIdx = pos;
        }
        if (e.timestamp - lastTime >= TIME_INDEX_INTERVAL_MS) {
          seg.timeTs.push(e.timestamp);
          seg.timeRel.push(e.offset - base);
          lastTime = e.timestamp;
        }
        seg.lastTimestamp = e.timestamp;
        seg.next++;
        return undefined;
      });
      if (res.validBytes < res.size) {
        const lost = res.size - res.validBytes;
        truncated += lost;
        const later = bases.slice(i + 1);
        const msg = `${path}: ${res.problem ?? 'invalid data'} at byte ${res.validBytes}; truncated ${lost} bytes${later.length ? ` and removed ${later.length} later segment(s)` : ''}`;
        problems.push(msg);
        this.o.warn(`recovery: ${msg}`);
        const fd = openSync(path, 'r+');
        ftruncateSync(fd, res.validBytes);
        fsyncSync(fd);
        closeSync(fd);
        for (const b of later) removeSegmentFiles(this.dir, b);
        bases.length = i + 1;
      }
      seg.bytes = res.validBytes;
      if (seg.timeTs.length && seg.timeTs[seg.timeTs.length - 1] !== seg.lastTimestamp) {
        seg.timeTs.push(seg.lastTimestamp);
        seg.timeRel.push(seg.next - 1 - base);
      }
      writeFileSync(join(this.dir, segmentFile(base, 'index')), packIndex(seg.idxRel, seg.idxPos, false));
      writeFileSync(join(this.dir, segmentFile(base, 'timeindex')), packIndex(seg.timeTs, seg.timeRel, true));
      this.lastIndexedPos = lastIdx;
      this.lastTimeIndexed = lastTime;
      this.segments.push(seg);
    }
    if (this.segments.length === 0) this.segments.push(newSegment(0));
    this.openActive();
    return { segments: this.segments.length, truncatedBytes: truncated, problems };
  }

  /** Offset of the oldest retained record. */
  get startOffset(): number {
    return this.segments[0]!.base;
  }

  /** Next offset after the last record on disk. */
  get endOffset(): number {
    return this.active.next;
  }

  get lastTimestamp(): number {
    return (
      this.active.lastTimestamp ||
      (this.segments.length > 1 ? this.segments[this.segments.length - 2]!.lastTimestamp : 0)
    );
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  private openActive(): void {
    const a = this.active;
    this.fd = openSync(join(this.dir, segmentFile(a.base, 'log')), 'a');
    this.indexFd = openSync(join(this.dir, segmentFile(a.base, 'index')), 'a');
    this.timeFd = openSync(join(this.dir, segmentFile(a.base, 'timeindex')), 'a');
    this.idxWritten = a.idxRel.length;
    this.timeWritten = a.timeTs.length;
  }

  /** Close the active segment's files: fsync them here (`sync`), else hand them to `retire`. */
  private closeActive(sync: boolean): void {
    const a = this.active;
    // a closed segment's time index ends with its last record, so reopening can trust it
    if (a.next > a.base && a.timeTs[a.timeTs.length - 1] !== a.lastTimestamp) {
      a.timeTs.push(a.lastTimestamp);
      a.timeRel.push(a.next - 1 - a.base);
    }
    this.writeIndexes();
    const fds = [this.fd, this.indexFd, this.timeFd].filter((fd) => fd >= 0);
    this.fd = this.indexFd = this.timeFd = -1;
    this.dirty = false;
    if (!sync) {
      this.o.retire(fds);
      return;
    }
    for (const fd of fds) {
      fsyncSync(fd);
      closeSync(fd);
    }
  }

  /**
   * Append the active segment's index entries not yet in its index files.
   * They are written when the segment closes (roll, clean close), not per
   * append: only a cleanly closed segment's index files are ever trusted
   * (after a crash the indexes are rebuilt by the scan).
   */
  private writeIndexes(): void {
    const a = this.active;
    if (this.indexFd >= 0 && this.idxWritten < a.idxRel.length) {
      writeAll(this.indexFd, packIndex(a.idxRel.slice(this.idxWritten), a.idxPos.slice(this.idxWritten), false));
      this.idxWritten = a.idxRel.length;
    }
    if (this.timeFd >= 0 && this.timeWritten < a.timeTs.length) {
      writeAll(this.timeFd, packIndex(a.timeTs.slice(this.timeWritten), a.timeRel.slice(this.timeWritten), true));
      this.timeWritten = a.timeTs.length;
    }
  }

  /** Append records (consecutive offsets continuing this log) as one batch frame. */
  append(records: readonly StoredRecord[]): void {
    if (records.length === 0) return;
    const ts: number[] = records.map((r) => r.timestamp);
    this.appendFrame(encodeEntries(records, undefined, scratchOf), Number(records[0]!.offset), ts);
  }

  /** Append published records `records[idx[..]]` as one batch frame at offsets `first..`, all stamped `timestamp`. */
  appendPublished(
    records: readonly PublishedLike[],
    idx: readonly number[],
    first: number,
    timestamp: number,
    now: number,
  ): void {
    if (idx.length === 0) return;
    this.appendFrame(encodeBatch(records, idx, first, timestamp, now, scratchOf), first, [timestamp], idx.length);
  }

  /** Write one frame of `count` records from offset `first`; `timestamps` per record, or one for all. */
  private appendFrame(buf: Buffer, first: number, timestamps: readonly number[], count = timestamps.length): void {
    let a = this.active;
    if (a.bytes > 0 && a.bytes + buf.length > this.o.segmentBytes) {
      this.closeActive(false);
      this.segments.push(newSegment(first));
      this.lastIndexedPos = -Infinity;
      this.lastTimeIndexed = -Infinity;
      this.openActive();
      a = this.active;
    }
    const pos = a.bytes;
    writeAll(this.fd, buf);
    // sparse indexes, in memory (see writeIndexes): one offset entry per ~4 KiB, one time entry per ~1 s
    if (pos - this.lastIndexedPos >= INDEX_INTERVAL_BYTES) {
      a.idxRel.push(first - a.base);
      a.idxPos.push(pos);
      this.lastIndexedPos = pos;
    }
    for (let i = 0; i < timestamps.length; i++) {
      const t = timestamps[i]!;
      if (t - this.lastTimeIndexed >= TIME_INDEX_INTERVAL_MS) {
        a.timeTs.push(t);
        a.timeRel.push(first + i - a.base);
        this.lastTimeIndexed = t;
      }
    }
    a.bytes += buf.length;
    a.next = first + count;
    a.lastTimestamp = timestamps[timestamps.length - 1]!;
    this.dirty = true;
  }

  private segmentOf(offset: number): Segment | undefined {
    let lo = 0;
    let hi = this.segments.length - 1;
    if (offset < this.segments[0]!.base) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid]!.base <= offset) lo = mid;
      else hi = mid - 1;
    }
    return this.segments[lo];
  }

  /** ColdSource: up to `max` consecutive records from `from`, across segments, read through the offset index (~1 MiB reads). */
  read(from: number, max: number): StoredRecord[] {
    const out: StoredRecord[] = [];
    let at = from;
    while (out.length < max) {
      const seg = this.segmentOf(at);
      if (!seg || at >= seg.next) break;
      const before = out.length;
      readSegment(this.dir, seg, at, max, out);
      if (out.length === before) break;
      at = Number(out[out.length - 1]!.offset) + 1;
    }
    return out;
  }

  /** ColdSource: first offset at or after `timestamp`, through the time index. */
  offsetForTimestamp(timestamp: number): number | undefined {
    for (const seg of this.segments) {
      if (seg.next === seg.base || seg.lastTimestamp < timestamp) continue;
      const k = lowerBound(seg.timeTs, timestamp);
      // the entry before k is older: start there and scan forward
      let off = seg.base + (k > 0 ? seg.timeRel[k - 1]! : 0);
      for (;;) {
        const recs = this.read(off, 1000);
        if (recs.length === 0) return undefined;
        const hit = recs.find((r) => r.timestamp >= timestamp);
        if (hit) return Number(hit.offset);
        off = Number(recs[recs.length - 1]!.offset) + 1;
      }
    }
    return undefined;
  }

  /** Delete whole non-active segments past retention; returns the new start offset when it moved. */
  enforceRetention(now: number): number | undefined {
    let total = this.segments.reduce((n, s) => n + s.bytes, 0);
    let moved = false;
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const tooBig = total > this.o.retentionBytes;
      const tooOld = oldest.lastTimestamp < now - this.o.retentionMs;
      if (!tooBig && !tooOld) break;
      if (oldest.readFd >= 0) closeSync(oldest.readFd);
      removeSegmentFiles(this.dir, oldest.base);
      this.segments.shift();
      total -= oldest.bytes;
      moved = true;
    }
    return moved ? this.startOffset : undefined;
  }

  stats(): { segments: number; bytes: number } {
    return { segments: this.segments.length, bytes: this.segments.reduce((n, s) => n + s.bytes, 0) };
  }

  close(): void {
    this.closeActive(true);
    for (const s of this.segments)
      if (s.readFd >= 0) {
        closeSync(s.readFd);
        s.readFd = -1;
      }
  }
}
