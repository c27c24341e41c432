import { describe, expect, it } from 'vitest';
import { Entry, type EntryLane } from './entry.js';
import { KeyScheduler } from './key-scheduler.js';

const lane = {
  ref: { handler: 'h', group: 'g', topic: 't', partition: 0 },
  ctx: {} as EntryLane['ctx'],
};
const entry = (off: number, key: string | undefined): Entry =>
  new Entry(lane, { key, value: null, headers: {}, offset: String(off), timestamp: 0 }, off, 0);

/** Take every ready entry, in order. */
function drain(s: KeyScheduler): Entry[] {
  const out: Entry[] = [];
  for (let e; (e = s.next()) !== undefined;) out.push(e);
  return out;
}

describe('KeyScheduler', () => {
  it('runs one entry per key at a time, in arrival order, also when a key comes back after it went idle', () => {
    const s = new KeyScheduler();
    let off = 0;
    for (let round = 0; round < 3; round++) {
      // Two entries per key: the second becomes ready only once the first is released.
      const batch = ['a', 'b', 'a', 'c', 'b', undefined].map((k) => entry(off++, k));
      for (const e of batch) s.add(e, e.rec.key);
      const first = drain(s);
      expect(first.map((e) => e.orderKey)).toEqual(['a', 'b', 'c', undefined]);
      expect(s.waitingCount()).toBe(2);
      for (const e of first) s.release(e);
      const second = drain(s);
      expect(second.map((e) => e.off)).toEqual([batch[2]!.off, batch[4]!.off]);
      for (const e of second) s.release(e);
      expect(s.waitingCount()).toBe(0);
      expect(drain(s)).toEqual([]);
    }
    // Idle keys stay in the map (no table churn per batch), busy or not.
    expect(s.keysHeld).toBe(3);
  });

  it('keeps a bounded number of idle keys: keys no longer seen are dropped', () => {
    const s = new KeyScheduler();
    for (let i = 0; i < 100_000; i++) {
      const e = entry(i, `k${i}`);
      s.add(e, e.rec.key);
      expect(s.next()).toBe(e);
      s.release(e);
      expect(s.keysHeld).toBeLessThanOrEqual(2 * 256 + 1);
    }
    // A busy key is never dropped with the idle ones: its next entry still waits for it.
    const busy = entry(100_000, 'busy');
    const behind = entry(100_001, 'busy');
    s.add(busy, busy.rec.key);
    s.add(behind, behind.rec.key);
    expect(drain(s)).toEqual([busy]);
    for (let i = 0; i < 5_000; i++) {
      const e = entry(200_000 + i, `x${i}`);
      s.add(e, e.rec.key);
      s.next();
      s.release(e);
    }
    expect(drain(s)).toEqual([]);
    s.release(busy);
    expect(drain(s)).toEqual([behind]);
  });

  it('holds no key after clear: a later entry of a key held before runs at once', () => {
    const s = new KeyScheduler();
    const held = entry(0, 'a');
    s.add(held, 'a');
    s.add(entry(1, 'a'), 'a');
    expect(drain(s)).toEqual([held]);
    s.clear();
    expect(s.waitingCount()).toBe(0);
    const later = entry(2, 'a');
    s.add(later, 'a');
    expect(drain(s)).toEqual([later]);
    expect(later.orderKey).toBe('a');
  });
});
