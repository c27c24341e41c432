import { describe, expect, it } from 'vitest';
import { LaneMode } from './lane-mode.js';

describe('LaneMode', () => {
  it("runs each lane's broker actions on that lane's hooks (the machine is provided once for every lane)", () => {
    const calls: string[] = [];
    const mode = (name: string) =>
      new LaneMode('key', {
        pauseBroker: () => calls.push(`${name} pause`),
        resumeBroker: () => calls.push(`${name} resume`),
        changed: () => undefined,
      });
    const a = mode('a');
    const b = mode('b');
    a.send({ type: 'PAUSE', reason: 'buffered messages' });
    b.send({ type: 'PAUSE', reason: 'buffered bytes' });
    a.send({ type: 'RESUME' });
    b.send({ type: 'DRAIN' });
    expect(calls).toEqual(['a pause', 'b pause', 'a resume', 'b pause']);
    expect([a.paused, b.paused, b.running]).toEqual([false, true, false]);
    expect(b.pauseReason).toBe('buffered bytes');
  });
});
