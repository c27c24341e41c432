import { describe, expect, it } from 'vitest';
import { uniqueName } from './unique-name.js';

describe('uniqueName', () => {
  it('is unique across many calls and safe for every broker', () => {
    const names = new Set(Array.from({ length: 5_000 }, () => uniqueName('Orders.V2 topic')));
    expect(names.size).toBe(5_000);
    for (const n of names) expect(n).toMatch(/^orders-v2-topic-[a-z0-9]+$/);
  });

  it('stays unique with a constant random source', () => {
    expect(uniqueName('x', () => 0)).not.toBe(uniqueName('x', () => 0));
  });

  it('falls back to a default prefix and rejects a non-string', () => {
    expect(uniqueName('...')).toMatch(/^partita-/);
    expect(() => uniqueName(3 as unknown as string)).toThrow(TypeError);
  });
});
