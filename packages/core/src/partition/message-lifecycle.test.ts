import { describe, expect, it } from 'vitest';
import { E, S, SETTLED_VERDICT, STATES, isSettled, messageLifecycleMachine, nextState } from './message-lifecycle.js';

describe('message lifecycle', () => {
  it('has a settled/unsettled verdict for every state the machine declares, and no verdict for states it lacks', () => {
    const declared = Object.keys(messageLifecycleMachine.config.states!).sort();
    expect(Object.keys(SETTLED_VERDICT).sort()).toEqual(declared);
    for (const s of STATES) expect(isSettled(S[s])).toBe(SETTLED_VERDICT[s]);
  });

  it('settles only after success, a confirmed dead letter, a hand-off or a skip; an abandoned attempt stays unsettled', () => {
    const settledBy = (...events: number[]): boolean =>
      isSettled(events.reduce((st, e) => nextState(st, e), S.received));
    expect(settledBy(E.DISPATCH, E.SUCCEED)).toBe(false);
    expect(settledBy(E.DISPATCH, E.SUCCEED, E.SETTLE)).toBe(true);
    expect(settledBy(E.DISPATCH, E.FAIL, E.DEAD_LETTER)).toBe(false);
    expect(settledBy(E.DISPATCH, E.FAIL, E.DEAD_LETTER, E.SETTLE)).toBe(true);
    expect(settledBy(E.SKIP)).toBe(true);
    expect(settledBy(E.DISPATCH, E.ABANDON)).toBe(false);
    expect(() => nextState(S.abandoned, E.SETTLE)).toThrow(/cannot SETTLE from abandoned/);
  });

  it('every declared state is reachable from received', () => {
    const reachable = new Set<number>([S.received]);
    const events = Object.values(E);
    for (let grew = true; grew;) {
      grew = false;
      for (const st of [...reachable]) {
        for (const e of events) {
          let next: number;
          try {
            next = nextState(st, e);
          } catch {
            continue;
          }
          if (!reachable.has(next)) {
            reachable.add(next);
            grew = true;
          }
        }
      }
    }
    expect([...reachable].sort()).toEqual(STATES.map((s) => S[s]).sort());
  });
});
