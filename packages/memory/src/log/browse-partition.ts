import type { Clock } from '@partita/core';
import type { Partition } from './partition.js';
import type { ReadResult } from './partition-hooks.js';
import type { StoredRecord } from './stored-record.js';

/**
 * Up to `max` log records of `p` from `position` (clamped to the oldest
 * retained offset) for an operator's browse: no delivery side effects (staged
 * records stay staged, expired ones are skipped without being reported),
 * purged ones skipped. `next` is the position after the scanned range.
 */
export function browsePartition(p: Partition, clock: Clock, position: number, max: number): ReadResult {
  const out: StoredRecord[] = [];
  let pos = position < p.base ? p.base : position;
  const now = clock.now();
  while (out.length < max && pos < p.end) {
    let chunk: readonly StoredRecord[];
    if (pos < p.hotBase && p.cold) {
      chunk = p.cold.read(pos, Math.min(max - out.length, p.hotBase - pos));
      if (chunk.length === 0) {
        pos = p.hotBase;
        continue;
      }
    } else {
      chunk = p.hotSlice(pos, max - out.length);
      if (chunk.length === 0) break;
    }
    for (const r of chunk) {
      const at = pos++;
      if (r.expired || (r.expiresAt !== 0 && r.expiresAt <= now) || p.isPurged(at)) continue;
      out.push(p.materialize(r));
    }
  }
  return { records: out, next: pos };
}
