import { describe, expect, it } from 'vitest';
import { delayTierFor } from './topology.js';

describe('delayTierFor', () => {
  it('is never earlier than the delay and at most 25 % later', () => {
    for (const d of [1, 7, 9, 10, 11, 99, 100, 101, 199, 201, 999, 1000, 1234, 59_999, 60_000, 86_400_000]) {
      const t = delayTierFor(d);
      expect(t).toBeGreaterThanOrEqual(d);
      expect(t).toBeLessThanOrEqual(Math.max(d * 1.25, d + 1));
    }
  });

  it('maps many delays onto few tiers (few wait queues)', () => {
    const tiers = new Set(Array.from({ length: 10_000 }, (_, i) => delayTierFor(100 + i)));
    expect(tiers.size).toBeLessThanOrEqual(22);
    expect(delayTierFor(1234)).toBe(1500);
    expect(delayTierFor(0.2)).toBe(1);
  });
});
