import { describe, expect, it } from 'vitest';
import { BatchSizer } from './batch-sizer.js';

// Exact arithmetic on given timings: how fast a real handler runs is a benchmark question (tools/bench).
describe('BatchSizer', () => {
  it('starts at the minimum, then aims at targetTaskMs / msPerMessage within [min, max]', () => {
    const s = new BatchSizer(10, 1000, 10);
    expect(s.size('h')).toBe(10);
    s.observe('h', 2, 200); // 0.01 ms per message: 1000 wanted
    expect(s.size('h')).toBe(1000);
    const slow = new BatchSizer(10, 1000, 10);
    slow.observe('h', 60, 2); // 30 ms per message: below the minimum
    expect(slow.size('h')).toBe(10);
    const mid = new BatchSizer(10, 1000, 10);
    mid.observe('h', 50, 1000); // 0.05 ms per message
    expect(mid.size('h')).toBe(200);
  });

  it('follows an exponentially weighted average, so one slow batch does not collapse the size', () => {
    const s = new BatchSizer(10, 1000, 10, 0.3);
    s.observe('h', 50, 1000); // 0.05
    s.observe('h', 1000, 1000); // 1.0: average 0.05 + 0.3 * 0.95 = 0.335
    expect(s.size('h')).toBe(Math.round(10 / 0.335));
    expect(s.snapshot()).toEqual({ h: { batchSize: 30, msPerMessage: 0.335 } });
  });

  it('keeps handlers apart and ignores empty or invalid observations', () => {
    const s = new BatchSizer(10, 1000, 10);
    s.observe('a', 0, 100);
    s.observe('b', 5, 0);
    s.observe('b', Number.NaN, 10);
    expect(s.size('a')).toBe(1000);
    expect(s.size('b')).toBe(10);
    expect(Object.keys(s.snapshot())).toEqual(['a']);
  });
});
