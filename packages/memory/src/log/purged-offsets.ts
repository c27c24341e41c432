import type { StoredRecord } from './stored-record.js';

/**
 * Offsets of a partition removed by a selective purge while still in the log
 * (behind an older kept record): never delivered or browsed again, forgotten
 * once the log is trimmed past them.
 */
export class PurgedOffsets {
  private readonly set = new Set<number>();

  get size(): number {
    return this.set.size;
  }

  has(offset: number): boolean {
    return this.set.has(offset);
  }

  add(offset: number): void {
    this.set.add(offset);
  }

  /** How many purged offsets are at or after `from` (to subtract from a lag). */
  countFrom(from: number): number {
    let n = 0;
    for (const o of this.set) if (o >= from) n++;
    return n;
  }

  /** Forget offsets below `offset` (the log was trimmed to it). */
  forgetBelow(offset: number): void {
    for (const o of this.set) if (o < offset) this.set.delete(o);
  }

  /** `recs` without the purged ones. */
  filter(recs: StoredRecord[]): StoredRecord[] {
    return this.set.size === 0 ? recs : recs.filter((r) => !this.set.has(Number(r.offset)));
  }
}
