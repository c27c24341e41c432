import type { Headers } from '@partita/core';
import type { Usage } from '../log/stored-record.js';

/** One dead-lettered record held by the broker's dead-letter index. */
export interface DeadLetter {
  /** Broker-unique id, for `inspect`, `purge` and `redrive`. */
  readonly id: string;
  /** Topic the record was originally published to (redrive target). */
  readonly topic: string;
  /** Why: `expired`, `max-deliveries`, or the runtime's reason (header `partita-dead-letter-reason`, else `partita-error-name`). */
  readonly reason: string;
  readonly partition: number | undefined;
  /** Original offset, when known. */
  readonly offset: string | undefined;
  readonly key: string | undefined;
  /** The value (`null` for a tombstone), read from the dead-letter topic's log when listed. */
  readonly value: Uint8Array | null;
  readonly headers: Headers;
  /** Clock time it was dead-lettered. */
  readonly deadLetteredAt: number;
  /** The dead-letter topic holding the record. */
  readonly deadLetterTopic: string | undefined;
}

/** Selects dead letters; every given field must match. */
export interface DeadLetterFilter {
  readonly topic?: string;
  readonly reason?: string;
  readonly ids?: readonly string[];
  /** `list` only: at most this many. @defaultValue 100 */
  readonly limit?: number;
}

/** Counts by original topic and reason (current entries) and totals ever recorded. */
export interface DeadLetterStats {
  readonly total: number;
  readonly recordedTotal: number;
  readonly byTopic: Readonly<
    Record<string, { readonly total: number; readonly byReason: Readonly<Record<string, number>> }>
  >;
}

/** Where a dead letter's record lives: a partition of a dead-letter topic, and its offset there. */
export interface DeadLetterPosition {
  readonly deadLetterTopic: string;
  readonly deadLetterPartition: number;
  readonly deadLetterOffset: number;
}

/** An index entry: what the filters need and where the record is; never the value. */
export interface DeadLetterEntry extends DeadLetterPosition {
  readonly id: string;
  readonly topic: string;
  readonly reason: string;
  readonly partition: number | undefined;
  readonly offset: string | undefined;
  readonly deadLetteredAt: number;
}

/**
 * Heap an index entry takes (the entry object, its id string and its map and
 * queue slots); counted in the broker's bytes while the entry exists.
 */
export const DEAD_LETTER_ENTRY_BYTES = 200;

interface Lane {
  entries: DeadLetterEntry[];
  head: number;
}

/**
 * The broker's dead-letter index: one entry per record of a dead-letter topic
 * (the runtime's copies, and the broker's own `expired` / `max-deliveries`
 * records, which it appends to `<topic><deadLetterSuffix>`). Entries hold the
 * record's position, not its value; an entry leaves with its record (the
 * dead-letter topic's retention bounds the index), or by purge/redrive.
 */
export class DeadLetterStore {
  private readonly entries = new Map<string, DeadLetterEntry>();
  /** Entries per dead-letter partition, in offset order (records leave a log oldest first). */
  private readonly lanes = new Map<string, Lane>();
  private seq = 0;
  recordedTotal = 0;

  constructor(private readonly usage: Usage) {}

  add(entry: Omit<DeadLetterEntry, 'id'>): DeadLetterEntry {
    const full: DeadLetterEntry = { ...entry, id: `dl-${++this.seq}` };
    this.entries.set(full.id, full);
    const k = laneKey(full.deadLetterTopic, full.deadLetterPartition);
    let lane = this.lanes.get(k);
    if (!lane) this.lanes.set(k, (lane = { entries: [], head: 0 }));
    lane.entries.push(full);
    this.recordedTotal++;
    this.usage.bytes += DEAD_LETTER_ENTRY_BYTES;
    return full;
  }

  /** The dead-letter partition's records below `base` are gone: drop their entries. */
  dropBelow(deadLetterTopic: string, partition: number, base: number): void {
    const k = laneKey(deadLetterTopic, partition);
    const lane = this.lanes.get(k);
    if (!lane) return;
    const list = lane.entries;
    while (lane.head < list.length && list[lane.head]!.deadLetterOffset < base) this.forget(list[lane.head++]!);
    if (lane.head === list.length) this.lanes.delete(k);
    else if (lane.head > 1024 && lane.head * 2 > list.length) {
      lane.entries = list.slice(lane.head);
      lane.head = 0;
    }
  }

  /** Records of a dead-letter partition were purged: drop their entries. */
  forgetOffsets(deadLetterTopic: string, partition: number, offsets: readonly number[]): void {
    if (offsets.length === 0) return;
    const k = laneKey(deadLetterTopic, partition);
    const lane = this.lanes.get(k);
    if (!lane) return;
    const gone = new Set(offsets);
    const kept: DeadLetterEntry[] = [];
    for (let i = lane.head; i < lane.entries.length; i++) {
      const e = lane.entries[i]!;
      if (gone.has(e.deadLetterOffset)) this.forget(e);
      else kept.push(e);
    }
    if (kept.length === 0) this.lanes.delete(k);
    else {
      lane.entries = kept;
      lane.head = 0;
    }
  }

  private forget(e: DeadLetterEntry): void {
    if (this.entries.delete(e.id)) this.usage.bytes -= DEAD_LETTER_ENTRY_BYTES;
  }

  /** Entries matching the filter, oldest first. */
  select(f: DeadLetterFilter = {}): DeadLetterEntry[] {
    const ids = f.ids ? new Set(f.ids) : undefined;
    const limit = f.limit ?? Infinity;
    const out: DeadLetterEntry[] = [];
    if (ids && f.topic === undefined && f.reason === undefined) {
      for (const id of ids) {
        const e = this.entries.get(id);
        if (e) out.push(e);
      }
      return out.slice(0, limit);
    }
    for (const e of this.entries.values()) {
      if (out.length >= limit) break;
      if (f.topic !== undefined && e.topic !== f.topic) continue;
      if (f.reason !== undefined && e.reason !== f.reason) continue;
      if (ids && !ids.has(e.id)) continue;
      out.push(e);
    }
    return out;
  }

  get(id: string): DeadLetterEntry | undefined {
    return this.entries.get(id);
  }

  /**
   * Remove entries (purge, redrive); returns, per dead-letter partition, the
   * offset of its oldest remaining entry (its end when none remain: pass `end`).
   */
  remove(
    entries: readonly DeadLetterEntry[],
    end: (topic: string, partition: number) => number,
  ): { topic: string; partition: number; keepFrom: number }[] {
    const touched = new Map<string, { topic: string; partition: number }>();
    for (const e of entries) {
      this.forget(e);
      touched.set(laneKey(e.deadLetterTopic, e.deadLetterPartition), {
        topic: e.deadLetterTopic,
        partition: e.deadLetterPartition,
      });
    }
    const out: { topic: string; partition: number; keepFrom: number }[] = [];
    for (const [k, t] of touched) {
      const lane = this.lanes.get(k);
      let keepFrom = end(t.topic, t.partition);
      if (lane) {
        const live = lane.entries.slice(lane.head).filter((e) => this.entries.has(e.id));
        if (live.length === 0) this.lanes.delete(k);
        else {
          lane.entries = live;
          lane.head = 0;
          keepFrom = live[0]!.deadLetterOffset;
        }
      }
      out.push({ ...t, keepFrom });
    }
    return out;
  }

  get size(): number {
    return this.entries.size;
  }

  stats(): DeadLetterStats {
    const byTopic: Record<string, { total: number; byReason: Record<string, number> }> = {};
    for (const e of this.entries.values()) {
      const t = (byTopic[e.topic] ??= { total: 0, byReason: {} });
      t.total++;
      t.byReason[e.reason] = (t.byReason[e.reason] ?? 0) + 1;
    }
    return { total: this.entries.size, recordedTotal: this.recordedTotal, byTopic };
  }
}

function laneKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
