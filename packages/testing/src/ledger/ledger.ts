import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { systemClock } from '@partita/core';
import type { Clock } from '@partita/core';
import { waitFor } from '../wait/wait-for.js';
import type { WaitForOptions } from '../wait/wait-for.js';
import { analyzeLedger, formatLedgerReport } from './ledger-report.js';
import type { LedgerEvent, LedgerReport } from './ledger-report.js';

/** Options of {@link createLedger}. */
export interface LedgerOptions {
  /**
   * Append-only file shared by processes: every event is one JSON line,
   * appended with a single `write` on an `O_APPEND` descriptor, and `report()`
   * reads every process's lines. Without it the ledger lives in memory.
   * @defaultValue undefined (in memory)
   */
  readonly file?: string;
  /** Empty the file when opening it (the coordinating process does this once). @defaultValue false */
  readonly truncate?: boolean;
  /** Stamps events with `clock.now()`. @defaultValue systemClock */
  readonly clock?: Clock;
}

/** A publish to record: the application's id (not the broker position) and its key. */
export interface PublishedEntry {
  readonly id: string;
  readonly key?: string | undefined;
}

/** A handling to record; `by` names the consumer (app, process) for load-sharing checks. */
export interface HandledEntry {
  readonly id: string;
  readonly key?: string | undefined;
  /** @defaultValue 'default' */
  readonly by?: string;
  /**
   * The delivery attempt (`msg.attempt`); above 1 the handling is a
   * redelivery, which the per-member order check leaves out.
   * @defaultValue 1
   */
  readonly attempt?: number;
  /**
   * The broker delivered the record before (`InboundRecord.redelivered`),
   * e.g. handed back unhandled by a stopping member, although `attempt` is 1:
   * the per-member order check leaves it out like a later attempt.
   * @defaultValue false
   */
  readonly redelivered?: boolean;
}

/** Options of {@link Ledger.waitForAllHandled}. */
export interface WaitForAllHandledOptions extends WaitForOptions {
  /** Also wait until at least this many distinct ids were published. @defaultValue 1 */
  readonly expected?: number;
}

/**
 * Records what was published and what was handled, and proves delivery:
 * nothing lost, duplicates counted, per-key order kept.
 *
 * Contract: record publishes in publish order (per key, that order is the
 * expected handling order); record a handling once the handler is done with
 * the message. Recording never throws for duplicates or unknown ids: the
 * report classifies them. After `close()` recording throws a `TypeError`.
 */
export interface Ledger {
  /** The shared file, when file-backed. */
  readonly file: string | undefined;
  recordPublished(entries: PublishedEntry | readonly PublishedEntry[]): void;
  recordHandled(entry: HandledEntry): void;
  /** Analyse every event recorded so far (by every process sharing the file). */
  report(): LedgerReport;
  /** How many times `id` was handled so far. */
  handledCount(id: string): number;
  /**
   * Poll until every published id was handled (and `expected` were published);
   * resolve with the report. Rejects with a `TimeoutError` whose message lists
   * what is missing.
   */
  waitForAllHandled(options?: WaitForAllHandledOptions): Promise<LedgerReport>;
  /** Release the file descriptors. Idempotent. */
  close(): void;
}

const CHUNK = 1 << 20;

/** Create a ledger, in memory or backed by an append-only file shared with child processes. */
export function createLedger(options: LedgerOptions = {}): Ledger {
  if (options.file !== undefined && (typeof options.file !== 'string' || options.file === '')) {
    throw new TypeError('createLedger: options.file must be a non-empty path string');
  }
  const clock = options.clock ?? systemClock;
  const file = options.file;
  const events: LedgerEvent[] = [];
  let malformed = 0;
  let closed = false;
  let writeFd: number | undefined;
  let readFd: number | undefined;
  let readPos = 0;
  let pending = '';
  if (file !== undefined) {
    // Always O_APPEND: every process's write lands at the current end, never over another's line.
    if (options.truncate) closeSync(openSync(file, 'w'));
    writeFd = openSync(file, 'a');
    readFd = openSync(file, 'r');
  }

  const ingest = (): void => {
    if (readFd === undefined || closed) return;
    const size = fstatSync(readFd).size;
    if (size < readPos) {
      // Truncated by another process: start over.
      events.length = 0;
      readPos = 0;
      pending = '';
      malformed = 0;
    }
    const buf = Buffer.allocUnsafe(CHUNK);
    while (readPos < size) {
      const n = readSync(readFd, buf, 0, Math.min(CHUNK, size - readPos), readPos);
      if (n <= 0) break;
      readPos += n;
      pending += buf.toString('utf8', 0, n);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '') continue;
        try {
          const e = JSON.parse(line) as LedgerEvent;
          if ((e.t === 'p' || e.t === 'h') && typeof e.id === 'string') events.push(e);
          else malformed++;
        } catch {
          malformed++;
        }
      }
    }
  };

  const append = (batch: LedgerEvent[]): void => {
    if (closed) throw new TypeError('ledger is closed');
    if (writeFd === undefined) {
      events.push(...batch);
      return;
    }
    writeSync(writeFd, batch.map((e) => JSON.stringify(e)).join('\n') + '\n');
  };

  const report = (): LedgerReport => {
    ingest();
    return analyzeLedger(events, malformed);
  };

  return {
    file,
    recordPublished(entries) {
      const list = (Array.isArray(entries) ? entries : [entries]) as readonly PublishedEntry[];
      const at = clock.now();
      append(
        list.map((e) => {
          if (typeof e?.id !== 'string') throw new TypeError('ledger.recordPublished: entry.id must be a string');
          return { t: 'p', id: e.id, key: e.key ?? null, at };
        }),
      );
    },
    recordHandled(entry) {
      if (typeof entry?.id !== 'string') throw new TypeError('ledger.recordHandled: entry.id must be a string');
      const event: LedgerEvent = {
        t: 'h',
        id: entry.id,
        key: entry.key ?? null,
        by: entry.by ?? 'default',
        at: clock.now(),
      };
      const attempt = entry.attempt !== undefined && entry.attempt > 1 ? { a: entry.attempt } : {};
      append([{ ...event, ...attempt, ...(entry.redelivered === true ? { r: 1 as const } : {}) }]);
    },
    report,
    handledCount(id) {
      ingest();
      let n = 0;
      for (const e of events) if (e.t === 'h' && e.id === id) n++;
      return n;
    },
    async waitForAllHandled(opts = {}) {
      const expected = opts.expected ?? 1;
      let last: LedgerReport | undefined;
      return waitFor(
        () => {
          last = report();
          return last.published >= expected && last.lost.length === 0 ? last : undefined;
        },
        {
          timeoutMs: 60_000,
          intervalMs: 50,
          description: `all published messages to be handled (expected ≥ ${expected} published)`,
          diagnose: () => formatLedgerReport(last ?? report()),
          ...opts,
        },
      );
    },
    close() {
      if (closed) return;
      closed = true;
      if (writeFd !== undefined) closeSync(writeFd);
      if (readFd !== undefined) closeSync(readFd);
    },
  };
}
