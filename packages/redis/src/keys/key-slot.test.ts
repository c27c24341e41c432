import { describe, expect, it } from 'vitest';
import { keySlot } from './key-slot.js';
import { RedisKeys } from './redis-keys.js';

describe('keySlot', () => {
  it('computes the slots Redis Cluster documents', () => {
    // CRC16("123456789") is 0x31C3 (the cluster spec's check value).
    expect(keySlot('123456789')).toBe(0x31c3 % 16384);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    // An empty tag: the whole key is hashed.
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
  });

  it("puts every key of a partition in one slot, and a group's members in another", () => {
    const k = new RedisKeys('app:');
    const slot = keySlot(k.stream('orders', 2));
    for (const key of [
      k.delayed('orders', 2),
      k.delayedData('orders', 2),
      k.lease('orders', 'billing', 2),
      k.fence('orders', 'billing', 2),
    ])
      expect(keySlot(key), key).toBe(slot);
    expect(keySlot(k.members('orders', 'billing'))).toBe(keySlot('orders|billing'));
  });
});
