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
  readonly value: Uint8Array;
  readonly headers: Headers;
  /** Clock time it was dead-lettered. */
  readonly deadLetteredAt: number;
  /** The dead-letter topic holding a copy, if it came from one. */
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
  readonly byTopic: Readonly<Record<string, { readonly total: number; readonly byReason: Readonly<Record<string, number>> }>>;
}

/**
 * The broker's dead-letter index. Holds records the broker itself dead-lettered
 * (expired with `onExpire: 'dead-letter'`, queue consumers past
 * `maxDeliveries`) and indexes records published to dead-letter topics.
 */
export class DeadLetterStore {
  private readonly entries = new Map<string, DeadLetter & { ownBytes: number }>();
  private seq = 0;
  recordedTotal = 0;

  constructor(private readonly usage: Usage) {}

  add(entry: Omit<DeadLetter, 'id'>, ownBytes: number): DeadLetter {
    const id = `dl-${++this.seq}`;
    const full = { ...entry, id, ownBytes };
    this.entries.set(id, full);
    this.recordedTotal++;
    this.usage.bytes += ownBytes;
    return strip(full);
  }

  private select(f: DeadLetterFilter = {}): (DeadLetter & { ownBytes: number })[] {
    const ids = f.ids ? new Set(f.ids) : undefined;
    const out: (DeadLetter & { ownBytes: number })[] = [];
    for (const e of this.entries.values()) {
      if (f.topic !== undefined && e.topic !== f.topic) continue;
      if (f.reason !== undefined && e.reason !== f.reason) continue;
      if (ids && !ids.has(e.id)) continue;
      out.push(e);
    }
    return out;
  }

  list(f: DeadLetterFilter = {}): DeadLetter[] {
    const limit = f.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`option "limit" must be a non-negative integer, got ${String(limit)}`);
    return this.select(f).slice(0, limit).map(strip);
  }

  inspect(id: string): DeadLetter | undefined {
    const e = this.entries.get(id);
    return e ? strip(e) : undefined;
  }

  /** Remove the matching entries; returns them. */
  take(f: DeadLetterFilter = {}): DeadLetter[] {
    const sel = this.select(f);
    for (const e of sel) {
      this.entries.delete(e.id);
      this.usage.bytes -= e.ownBytes;
    }
    return sel.map(strip);
  }

  /** Put entries back (a redrive that could not publish). */
  restore(entries: readonly DeadLetter[]): void {
    for (const e of entries) this.entries.set(e.id, { ...e, ownBytes: 0 });
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

function strip(e: DeadLetter & { ownBytes: number }): DeadLetter {
  const { ownBytes: _o, ...rest } = e;
  return rest;
}
