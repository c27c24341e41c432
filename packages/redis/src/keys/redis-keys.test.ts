import { ConfigError, InvalidTopicError } from '@partita/core';
import { describe, expect, it } from 'vitest';
import { assertRedisGroup, assertRedisTopic, RedisKeys } from './redis-keys.js';

describe('RedisKeys', () => {
  it("puts a partition's stream, delayed set, leases and fences under one hash tag, a group's members under another", () => {
    const k = new RedisKeys('p:');
    expect(k.stream('orders', 3)).toBe('p:{orders:3}');
    expect(k.delayed('orders', 3)).toBe('p:{orders:3}:delayed');
    expect(k.delayedData('orders', 3)).toBe('p:{orders:3}:delayed-data');
    expect(k.lease('orders', 'billing', 1)).toBe('p:{orders:1}:lease:billing');
    expect(k.fence('orders', 'billing', 1)).toBe('p:{orders:1}:fence:billing');
    expect(k.members('orders', 'billing')).toBe('p:{orders|billing}:members');
  });

  it('refuses topic and group names that would break the hash tags', () => {
    expect(() => assertRedisTopic('a{b}')).toThrow(InvalidTopicError);
    expect(() => assertRedisTopic('a|b')).toThrow(/partita uses in Redis key names/);
    expect(() => assertRedisTopic('orders.eu')).not.toThrow();
    expect(() => assertRedisGroup('g{1}')).toThrow(ConfigError);
  });
});
