import { describe, expect, it } from 'vitest';
import { partitionForKey } from './partition-for-key.js';

describe('partitionForKey', () => {
  it('is FNV-1a over UTF-16 code units: stable values every connector shares', () => {
    // Fixed expectations: a change of the hash would move every key to another partition.
    expect(partitionForKey('a', 1_000_000)).toBe(0xe40c292c % 1_000_000);
    expect(partitionForKey('', 7)).toBe(0x811c9dc5 % 7);
  });

  it('maps every key into [0, partitions) and the same key to the same partition', () => {
    for (let i = 0; i < 500; i++) {
      const p = partitionForKey(`key-${i}`, 8);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(8);
      expect(partitionForKey(`key-${i}`, 8)).toBe(p);
    }
  });

  it('spreads keys over every partition', () => {
    const seen = new Set(Array.from({ length: 200 }, (_, i) => partitionForKey(`k${i}`, 8)));
    expect(seen.size).toBe(8);
  });
});
