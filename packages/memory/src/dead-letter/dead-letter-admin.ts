import { DLQ_HEADERS, RETRY_HEADERS, optionError, type Headers } from '@partita/core';
import type { Partition } from '../log/partition.js';
import type {
  DeadLetter,
  DeadLetterEntry,
  DeadLetterFilter,
  DeadLetterStats,
  DeadLetterStore,
} from './dead-letter-store.js';

/** Dead-letter admin API of a broker. */
export interface DeadLetterAdmin {
  stats(): DeadLetterStats;
  /** Matching entries, oldest first, with their values read from the dead-letter topic. */
  list(filter?: DeadLetterFilter): DeadLetter[];
  inspect(id: string): DeadLetter | undefined;
  /**
   * Remove matching entries; returns how many. Their records leave the
   * dead-letter topic's log up to its oldest remaining entry (memory is freed
   * then; a purged record behind an older kept one is freed when that one goes).
   */
  purge(filter?: DeadLetterFilter): number;
  /**
   * Publish matching entries back to their original topic, addressed to the
   * group that failed them (`partita-target-group` from `partita-group`), and
   * remove them as `purge` does; returns how many.
   */
  redrive(filter?: DeadLetterFilter): Promise<number>;
}

/** What the admin needs from the broker. */
export interface DeadLetterAdminDeps {
  readonly store: DeadLetterStore;
  /** A dead-letter topic's partition, if the topic exists. */
  partition(topic: string, partition: number): Partition | undefined;
  /** Apply time-based retention before answering (records past their age leave). */
  retain(): void;
  publish(
    records: { topic: string; key: string | undefined; value: Uint8Array | null; headers: Headers }[],
  ): Promise<void>;
}

/** Headers describing a failure (dropped on redrive); `partita-original-*` (where the record was first published) stay. */
const FAILURE_HEADER = /^partita-(error-|attempts?$|failed-at$|handler$|group$|dead-letter-reason$|target-group$)/;

/**
 * Headers of a redriven copy: the record's own headers and its origin
 * (`partita-original-*`), without the failure's details; when the dead letter
 * names the group that failed it (`partita-group`), the copy is addressed to
 * that group alone (`partita-target-group`): the topic's other groups settle it unhandled.
 */
export function redriveHeaders(h: Headers): Headers {
  const out: Record<string, string> = {};
  for (const k in h) if (!FAILURE_HEADER.test(k)) out[k] = h[k]!;
  const group = h[DLQ_HEADERS.group];
  if (group !== undefined) out[RETRY_HEADERS.targetGroup] = group;
  return out;
}

/** The broker's `deadLetters` API over its index; values are read from the dead-letter topics' logs. */
export function createDeadLetterAdmin(deps: DeadLetterAdminDeps): DeadLetterAdmin {
  const { store } = deps;

  const materialize = (e: DeadLetterEntry): DeadLetter | undefined => {
    const part = deps.partition(e.deadLetterTopic, e.deadLetterPartition);
    if (!part || e.deadLetterOffset < part.base) return undefined;
    const rec = part.read(e.deadLetterOffset, 1).records[0];
    if (!rec || Number(rec.offset) !== e.deadLetterOffset) return undefined;
    return {
      id: e.id,
      topic: e.topic,
      reason: e.reason,
      partition: e.partition,
      offset: e.offset,
      key: rec.key,
      value: rec.value,
      headers: rec.headers,
      deadLetteredAt: e.deadLetteredAt,
      deadLetterTopic: e.deadLetterTopic,
    };
  };

  const remove = (entries: readonly DeadLetterEntry[]): void => {
    const trims = store.remove(entries, (t, p) => deps.partition(t, p)?.end ?? 0);
    for (const t of trims) deps.partition(t.topic, t.partition)?.trimTo(t.keepFrom);
  };

  return {
    stats: () => {
      deps.retain();
      return store.stats();
    },
    list(f = {}) {
      const limit = f.limit ?? 100;
      if (!Number.isInteger(limit) || limit < 0)
        throw optionError('deadLetters.list', 'limit', 'a non-negative integer', limit);
      deps.retain();
      const out: DeadLetter[] = [];
      for (const e of store.select({ ...f, limit })) {
        const d = materialize(e);
        if (d) out.push(d);
      }
      return out;
    },
    inspect(id) {
      deps.retain();
      const e = store.get(id);
      return e ? materialize(e) : undefined;
    },
    purge(f = {}) {
      deps.retain();
      const sel = store.select({ ...f, limit: Infinity });
      remove(sel);
      return sel.length;
    },
    async redrive(f = {}) {
      deps.retain();
      const sel = store.select({ ...f, limit: Infinity });
      const copies: { topic: string; key: string | undefined; value: Uint8Array | null; headers: Headers }[] = [];
      for (const e of sel) {
        const d = materialize(e);
        if (d) copies.push({ topic: d.topic, key: d.key, value: d.value, headers: redriveHeaders(d.headers) });
      }
      await deps.publish(copies);
      remove(sel);
      return copies.length;
    },
  };
}
