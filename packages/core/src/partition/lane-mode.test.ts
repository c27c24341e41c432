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

  it('takes an event sent from a change hook after the transition under way, as an actor mailbox does', () => {
    const seen: string[] = [];
    const lane: LaneMode = new LaneMode('key', {
      pauseBroker: () => seen.push('pauseBroker'),
      resumeBroker: () => seen.push('resumeBroker'),
      changed: (from, to) => {
        seen.push(`${from.flow}->${to.flow} ${from.health}->${to.health}`);
        if (to.flow === 'paused' && to.health === 'ok') lane.send({ type: 'RESUME' });
      },
    });
    lane.send({ type: 'PAUSE', reason: 'buffered messages' });
    expect(seen).toEqual(['pauseBroker', 'open->paused ok->ok', 'resumeBroker', 'paused->open ok->ok']);
    expect(lane.paused).toBe(false);
  });

  it('keeps guards per lane although transitions are shared: a blocked lane does not resume, another one does', () => {
    const hooks = { pauseBroker: () => undefined, resumeBroker: () => undefined, changed: () => undefined };
    const blocked = new LaneMode('key', hooks);
    const free = new LaneMode('key', hooks);
    for (const lane of [blocked, free]) lane.send({ type: 'PAUSE', reason: 'buffered bytes' });
    blocked.send({ type: 'BLOCK', reason: 'commit' });
    for (const lane of [blocked, free]) lane.send({ type: 'RESUME' });
    expect([blocked.paused, blocked.blocked, blocked.blockedBy]).toEqual([true, true, ['commit']]);
    expect([free.paused, free.blocked]).toEqual([false, false]);
    blocked.send({ type: 'UNBLOCK', reason: 'commit' });
    blocked.send({ type: 'RESUME' });
    expect(blocked.paused).toBe(false);
    blocked.stop();
    blocked.send({ type: 'PAUSE', reason: 'buffered bytes' });
    expect(blocked.paused).toBe(false);
  });

  it("remembers transitions by the event's payload too: the operator's resume under pressure stays paused, without it opens", () => {
    const hooks = { pauseBroker: () => undefined, resumeBroker: () => undefined, changed: () => undefined };
    const full = new LaneMode('key', hooks);
    full.send({ type: 'PAUSE', reason: 'operator' });
    full.send({ type: 'OPERATOR_RESUME', pressure: 'buffered messages' });
    expect([full.paused, full.held, full.pauseReason]).toEqual([true, false, 'buffered messages']);
    const free = new LaneMode('key', hooks);
    free.send({ type: 'PAUSE', reason: 'operator' });
    expect(free.held).toBe(true);
    free.send({ type: 'OPERATOR_RESUME' });
    expect([free.paused, free.held, free.pauseReason]).toEqual([false, false, undefined]);
  });
});
