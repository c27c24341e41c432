import type { Clock, TimerHandle } from '@partita/core';
import type { StagedRecord } from './stored-record.js';

interface Bucket {
  readonly priority: number;
  items: StagedRecord[];
  head: number;
}

/**
 * A partition's records that have no offset yet: delayed ones (sorted by due
 * time, one timer for the earliest) and ready ones waiting behind higher
 * priorities (a FIFO bucket per priority). `onReady` is called when delayed
 * records became ready.
 */
export class StagingArea {
  private buckets: Bucket[] = [];
  /** Ready records (due, waiting for a reader at the end of the log). */
  readyCount = 0;
  private delayed: StagedRecord[] = [];
  private delayedHead = 0;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly onReady: () => void,
  ) {}

  /** Records waiting for their delay. */
  get delayedCount(): number {
    return this.delayed.length - this.delayedHead;
  }

  /** Stage a record: delayed until its `dueAt`, else ready at once. */
  add(rec: StagedRecord): void {
    if (rec.dueAt > this.clock.now()) {
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

  /** Take the next ready record: highest priority first, FIFO among equal priorities. */
  takeReady(): StagedRecord | undefined {
    while (this.buckets.length > 0) {
      const b = this.buckets[0]!;
      if (b.head < b.items.length) {
        this.readyCount--;
        const rec = b.items[b.head++]!;
        if (b.head === b.items.length) this.buckets.shift();
        return rec;
      }
      this.buckets.shift();
    }
    return undefined;
  }

  /** Every staged record (ready, then delayed). */
  list(): StagedRecord[] {
    const out: StagedRecord[] = [];
    for (const b of this.buckets) for (let i = b.head; i < b.items.length; i++) out.push(b.items[i]!);
    for (let i = this.delayedHead; i < this.delayed.length; i++) out.push(this.delayed[i]!);
    return out;
  }

  /** Forget every staged record (a purge). */
  clear(): void {
    this.buckets = [];
    this.readyCount = 0;
    this.delayed = [];
    this.delayedHead = 0;
  }

  /** Cancel the delay timer. */
  close(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
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
    if (moved > 0) this.onReady();
  }
}
