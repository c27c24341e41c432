import { Deque } from './deque.js';
import type { Entry } from './entry.js';
import { S, isSettled } from './message-lifecycle.js';

const MAX_METADATA_CHARS = 3_000;

/**
 * What the window keeps of an entry settled above an unsettled one: its
 * offset and bytes, not the entry (which is also the message a handler saw,
 * with its decoded value: kept in the window, 64 KiB values cost a lane
 * megabytes; decision 53).
 */
class SettledMark {
  /** A settled state, as an entry's: {@link settledSlot} reads one field of either kind (no `instanceof` per slot). */
  readonly state = S.settled;
  constructor(
    readonly off: number,
    readonly bytes: number,
  ) {}
}

type Slot = Entry | SettledMark;

function settledSlot(slot: Slot): boolean {
  return isSettled(slot.state);
}

/**
 * Tracks the committable position of an offset-model lane: the next offset
 * to consume, one past the longest run of settled entries (Kafka's
 * convention). Settled offsets above it are encoded into commit metadata so a
 * restarted consumer can skip them (as Confluent's Parallel Consumer does).
 */
export class Watermark {
  private readonly window = new Deque<Slot>();
  private next: number;
  /** Settled entries still in the window (above an unsettled head), and the highest such offset. */
  private settledAbove = 0;
  private maxSettledOff = -1;
  /** Value bytes of every entry in the window, settled or not: what the lane holds in memory. */
  bytes = 0;

  constructor(start = 0) {
    this.next = start;
  }

  /** Entries in the window: unsettled ones, and settled ones above an unsettled head. */
  get length(): number {
    return this.window.length;
  }

  track(entry: Entry): void {
    this.window.push(entry);
    this.bytes += entry.bytes;
  }

  /**
   * A tracked entry was settled (call once per entry, before `advance`).
   * Above an unsettled head the window keeps a mark instead of the entry.
   */
  settled(entry: Entry): void {
    this.settledAbove++;
    if (this.window.peek() === entry) return;
    const off = entry.off;
    if (off > this.maxSettledOff) this.maxSettledOff = off;
    // Settles come mostly in arrival order: the entry is near the head.
    const n = this.window.length;
    for (let i = 1; i < n; i++)
      if (this.window.at(i) === entry) {
        this.window.set(i, new SettledMark(off, entry.bytes));
        return;
      }
  }

  /** Drop settled entries from the head. */
  advance(): void {
    let head = this.window.peek();
    while (head !== undefined && settledSlot(head)) {
      this.passed = this.window.shift();
      this.bytes -= head.bytes;
      this.settledAbove--;
      head = this.window.peek();
    }
    if (this.settledAbove === 0) this.maxSettledOff = -1;
  }

  /**
   * Message model only (no watermark is committed there): forget settled
   * entries held above an unsettled one, so a stuck entry does not keep
   * everything behind it in memory. Amortised O(1) per settled entry.
   */
  dropSettled(): void {
    if (this.settledAbove < 256 || this.settledAbove * 2 < this.window.length) return;
    let bytes = 0;
    this.window.retain((e) => {
      if (settledSlot(e)) return false;
      bytes += e.bytes;
      return true;
    });
    this.bytes = bytes;
    this.settledAbove = 0;
    this.maxSettledOff = -1;
  }

  /** Last entry the watermark moved past; its offset is parsed only when the watermark is read. */
  private passed: Slot | undefined;
  private passedNext(): number {
    if (this.passed !== undefined) {
      this.next = this.passed.off + 1;
      this.passed = undefined;
    }
    return this.next;
  }

  /** Call `fn` for each entry still tracked (unsettled, or settled at the head), in arrival order. */
  forEach(fn: (entry: Entry) => void): void {
    const n = this.window.length;
    for (let i = 0; i < n; i++) {
      const slot = this.window.at(i)!;
      if (!(slot instanceof SettledMark)) fn(slot);
    }
  }

  value(): number {
    const head = this.window.peek();
    return head === undefined ? this.passedNext() : head.off;
  }

  /** Settled offsets above the watermark as `v1:<watermark>:<delta>+<len>,...` (base 36), or undefined. */
  metadata(): string | undefined {
    if (this.settledAbove === 0) return undefined;
    const base = this.value();
    let out = '';
    let runStart = -1;
    let runLen = 0;
    const flush = (): boolean => {
      if (runLen === 0) return true;
      const part = `${(runStart - base).toString(36)}+${runLen.toString(36)}`;
      if (out.length + part.length + 4 > MAX_METADATA_CHARS) return false;
      out += out === '' ? part : `,${part}`;
      runLen = 0;
      return true;
    };
    const n = this.window.length;
    for (let i = 0; i < n; i++) {
      const e = this.window.at(i)!;
      if (settledSlot(e)) {
        if (runLen > 0 && e.off === runStart + runLen) runLen++;
        else {
          if (!flush()) break;
          runStart = e.off;
          runLen = 1;
        }
      } else if (!flush() || (this.maxSettledOff >= 0 && e.off > this.maxSettledOff)) break;
    }
    flush();
    return out === '' ? undefined : `v1:${base.toString(36)}:${out}`;
  }
}

/** Parse commit metadata written by `Watermark.metadata`: the settled offsets above the watermark. */
export function parseSettledOffsets(metadata: string | undefined): Set<number> {
  const settled = new Set<number>();
  if (!metadata || !metadata.startsWith('v1:')) return settled;
  const [, baseText, runs] = metadata.split(':');
  const committed = parseInt(baseText ?? '', 36);
  if (!Number.isFinite(committed) || !runs) return settled;
  for (const part of runs.split(',')) {
    const [d, l] = part.split('+');
    const delta = parseInt(d ?? '', 36);
    const len = parseInt(l ?? '', 36);
    if (!Number.isFinite(delta) || !Number.isFinite(len) || len > 1_000_000) continue;
    for (let i = 0; i < len; i++) settled.add(committed + delta + i);
  }
  return settled;
}
