import { describe, expect, it } from 'vitest';
import { TimeoutError } from '@partita/core';
import { waitFor } from './wait-for.js';

describe('waitFor', () => {
  it('resolves with the first truthy value of the condition', async () => {
    let n = 0;
    const v = await waitFor(() => (++n >= 3 ? { n } : undefined), { intervalMs: 1 });
    expect(v).toEqual({ n: 3 });
  });

  it('accepts async conditions', async () => {
    let n = 0;
    await expect(waitFor(async () => ++n === 2, { intervalMs: 1 })).resolves.toBe(true);
  });

  it('rejects with a TimeoutError naming the description and the diagnosis', async () => {
    const p = waitFor(() => false, { timeoutMs: 30, description: 'the moon', diagnose: () => 'still dark' });
    await expect(p).rejects.toBeInstanceOf(TimeoutError);
    await expect(
      waitFor(() => false, { timeoutMs: 10, description: 'the moon', diagnose: () => 'still dark' }),
    ).rejects.toThrow(/waited 10 ms for the moon: still dark/);
  });

  it('evaluates the condition once even with timeoutMs 0', async () => {
    await expect(waitFor(() => 'now', { timeoutMs: 0 })).resolves.toBe('now');
  });

  it('rejects at once when the condition throws', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('boom');
        },
        { timeoutMs: 10_000 },
      ),
    ).rejects.toThrow('boom');
  });

  it('validates its options', async () => {
    await expect(waitFor(() => true, { timeoutMs: -1 })).rejects.toBeInstanceOf(RangeError);
    await expect(waitFor(() => true, { intervalMs: 0 })).rejects.toThrow(/intervalMs/);
    await expect(waitFor(undefined as unknown as () => boolean)).rejects.toBeInstanceOf(TypeError);
  });
});
