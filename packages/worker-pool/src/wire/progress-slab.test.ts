import { describe, expect, it } from 'vitest';
import { ProgressSlab } from './progress-slab.js';
import { PROGRESS_HEADER_BYTES } from './wire-task.js';

describe('ProgressSlab', () => {
  it('hands out zeroed, non-overlapping slots of one shared buffer', () => {
    const slab = new ProgressSlab(10, 4);
    const slots = [slab.acquire(10), slab.acquire(3), slab.acquire(10)];
    expect(new Set(slots.map((s) => s.buffer)).size).toBe(1);
    for (const s of slots) {
      expect(s.offset % 8).toBe(0);
      expect([...s.header, ...s.status].every((b) => b === 0)).toBe(true);
      s.header.fill(-1);
      s.status.fill(255);
    }
    // Writing every slot in full left the others' bytes alone.
    expect(slots[1]!.status).toHaveLength(3);
    expect([...slots[0]!.status].every((b) => b === 255)).toBe(true);
    expect([...slots[2]!.header].every((v) => v === -1)).toBe(true);
  });

  it('reuses a released slot, zeroed again, and grows when all are taken', () => {
    const slab = new ProgressSlab(8, 2);
    const a = slab.acquire(8);
    a.header[1] = 7;
    a.status[0] = 1;
    slab.release(a);
    const again = slab.acquire(8);
    expect(again.buffer).toBe(a.buffer);
    expect(again.offset).toBe(a.offset);
    expect(again.header[1]).toBe(0);
    expect(again.status[0]).toBe(0);
    const b = slab.acquire(8);
    const c = slab.acquire(8);
    expect(c.buffer).not.toBe(b.buffer);
  });

  it('gives a task larger than a slot a buffer of its own, which is not pooled', () => {
    const slab = new ProgressSlab(4, 2);
    const big = slab.acquire(100);
    expect(big.pooled).toBe(false);
    expect(big.buffer.byteLength).toBe(PROGRESS_HEADER_BYTES + 100);
    expect(big.status).toHaveLength(100);
    slab.release(big);
    expect(slab.acquire(4).buffer).not.toBe(big.buffer);
  });
});
