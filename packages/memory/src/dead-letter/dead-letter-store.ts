import type { Usage } from '../log/stored-record.js';

/** Counts of the dead letters the broker holds, by original topic and reason, and the total ever recorded. */
export interface DeadLetterStats {
  readonly total: number;
  readonly recordedTotal: number;
  readonly byTopic: Readonly<
    Record<string, { readonly total: number; readonly byReason: Readonly<Record<string, number>> }>
  >;
}

/** One record of a dead-letter topic: where it is, and what `stats()` counts it under. */
export interface DeadLetterEntry {
  readonly deadLetterTopic: string;
  readonly deadLetterPartition: number;
  readonly deadLetterOffset: number;
  /** The topic the record was first published to. */
  readonly topic: string;
  /** `expired`, `max-deliveries`, or the runtime's reason (header `partita-dead-letter-reason`, else `partita-error-name`). */
  readonly reason: string;
}

/**
 * Heap an index entry takes, counted in the broker's bytes while the entry
 * exists (an upper bound: measured when entries also held an id and a map slot).
 */
export const DEAD_LETTER_ENTRY_BYTES = 200;

interface Lane {
  entries: DeadLetterEntry[];
  head: number;
}

/**
 * The broker's dead-letter counts (`stats().deadLetters`): one entry per
 * record of a dead-letter topic (the runtime's copies, and the broker's own
 * `expired` / `max-deliveries` records, which it appends to
 * `<topic><deadLetterSuffix>`). Entries hold the record's position, never its
 * value, and leave with the record (retention, consumption, purge). Records
 * are browsed, purged and redriven through `transport.admin`.
 */
export class DeadLetterStore {
  /** Entries per dead-letter partition, in offset order (records leave a log oldest first). */
  private readonly lanes = new Map<string, Lane>();
  private size = 0;
  recordedTotal = 0;

  constructor(private readonly usage: Usage) {}

  add(entry: DeadLetterEntry): void {
    const k = laneKey(entry.deadLetterTopic, entry.deadLetterPartition);
    let lane = this.lanes.get(k);
    if (!lane) this.lanes.set(k, (lane = { entries: [], head: 0 }));
    lane.entries.push(entry);
    this.size++;
    this.recordedTotal++;
    this.usage.bytes += DEAD_LETTER_ENTRY_BYTES;
  }

  /** The dead-letter partition's records below `base` are gone: drop their entries. */
  dropBelow(deadLetterTopic: string, partition: number, base: number): void {
    const k = laneKey(deadLetterTopic, partition);
    const lane = this.lanes.get(k);
    if (!lane) return;
    const list = lane.entries;
    let n = 0;
    while (lane.head < list.length && list[lane.head]!.deadLetterOffset < base) {
      lane.head++;
      n++;
    }
    this.forgot(n);
    if (lane.head === list.length) this.lanes.delete(k);
    else if (lane.head > 1024 && lane.head * 2 > list.length) {
      lane.entries = list.slice(lane.head);
      lane.head = 0;
    }
  }

  /** Records of a dead-letter partition were purged one by one: drop their entries. */
  forgetOffsets(deadLetterTopic: string, partition: number, offsets: readonly number[]): void {
    if (offsets.length === 0) return;
    const k = laneKey(deadLetterTopic, partition);
    const lane = this.lanes.get(k);
    if (!lane) return;
    const gone = new Set(offsets);
    const kept = lane.entries.slice(lane.head).filter((e) => !gone.has(e.deadLetterOffset));
    this.forgot(lane.entries.length - lane.head - kept.length);
    if (kept.length === 0) this.lanes.delete(k);
    else {
      lane.entries = kept;
      lane.head = 0;
    }
  }

  private forgot(n: number): void {
    this.size -= n;
    this.usage.bytes -= n * DEAD_LETTER_ENTRY_BYTES;
  }

  stats(): DeadLetterStats {
    const byTopic: Record<string, { total: number; byReason: Record<string, number> }> = {};
    for (const lane of this.lanes.values())
      for (let i = lane.head; i < lane.entries.length; i++) {
        const e = lane.entries[i]!;
        const t = (byTopic[e.topic] ??= { total: 0, byReason: {} });
        t.total++;
        t.byReason[e.reason] = (t.byReason[e.reason] ?? 0) + 1;
      }
    return { total: this.size, recordedTotal: this.recordedTotal, byTopic };
  }
}

function laneKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
