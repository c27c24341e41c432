import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

/**
 * What the members tell the verdict about settlement, one JSON line each,
 * appended with one `write` on an `O_APPEND` descriptor (shared by processes):
 * - `h`: member `by` handled `id`, which sat at `offset` of `lane`;
 * - `c`: the broker confirmed `by`'s commit of `lane` up to `next` (offset model);
 * - `a`: the broker confirmed `by`'s ack of these offsets of `lane` (message model);
 * - `l`: `lane` was assigned to `by`, its revocation began, or it was released (diagnostics only).
 * A line is written only after the fact it states, so a member killed
 * in between leaves a line out, never a false one.
 */
export type SettlementFact =
  | { readonly t: 'h'; readonly by: string; readonly id: string; readonly lane: string; readonly offset: string }
  | { readonly t: 'c'; readonly by: string; readonly lane: string; readonly next: string }
  | { readonly t: 'a'; readonly by: string; readonly lane: string; readonly offsets: readonly string[] }
  | { readonly t: 'l'; readonly by: string; readonly lane: string; readonly op: 'assigned' | 'revoking' | 'released' };

/** A fact with the wall-clock time (ms) it was recorded, comparable with the ledger's `at`. */
export type SettlementEvent = SettlementFact & { readonly at: number };

/** Appends settlement events to a file shared by the members of one soak run. */
export interface SettlementLog {
  record(fact: SettlementFact): void;
  close(): void;
}

export function openSettlementLog(file: string, options: { truncate?: boolean } = {}): SettlementLog {
  if (options.truncate) closeSync(openSync(file, 'w'));
  const fd = openSync(file, 'a');
  let closed = false;
  return {
    record(fact) {
      if (!closed) writeSync(fd, JSON.stringify({ ...fact, at: Date.now() }) + '\n');
    },
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}

/** Every well-formed event of the file (a line torn by a kill -9 is skipped). */
export function readSettlementLog(file: string): SettlementEvent[] {
  const events: SettlementEvent[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    try {
      events.push(JSON.parse(line) as SettlementEvent);
    } catch {
      // torn by a kill -9
    }
  }
  return events;
}
