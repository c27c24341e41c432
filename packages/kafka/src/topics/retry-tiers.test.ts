import { describe, expect, it } from 'vitest';
import { retryTopicName, tierFor, tierLabel } from './retry-tiers.js';

describe('retry tiers', () => {
  it('picks the smallest tier not shorter than the delay, else the longest', () => {
    const tiers = [1000, 10000, 60000];
    expect(tierFor(1, tiers)).toBe(1000);
    expect(tierFor(1000, tiers)).toBe(1000);
    expect(tierFor(1001, tiers)).toBe(10000);
    expect(tierFor(3_600_000, tiers)).toBe(60000);
  });
  it('names tier topics <topic>.retry.<delay>', () => {
    expect(tierLabel(600_000)).toBe('600s');
    expect(tierLabel(1500)).toBe('1500ms');
    expect(retryTopicName('orders', 10_000)).toBe('orders.retry.10s');
  });
});
