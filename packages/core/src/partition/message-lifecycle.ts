import { createMachine } from 'xstate';

/**
 * The life of one message inside a partition actor, declared once as an
 * xstate machine (for docs, model-based tests and the dashboard) and executed
 * through `lifecycleTable`, a transition table derived from it: an actor per
 * message would cost ~45 µs, a table lookup ~0.03 µs (docs/design.md §11).
 */
export const messageLifecycleMachine = createMachine({
  id: 'message',
  initial: 'received',
  states: {
    received: { on: { DISPATCH: 'dispatched', DEAD_LETTER: 'deadLettered', SKIP: 'settled' } },
    dispatched: { on: { SUCCEED: 'succeeded', FAIL: 'failed', ABANDON: 'abandoned' } },
    // The runtime's own shutdown ended the attempt (a ClosedError): no verdict, the broker redelivers it.
    abandoned: {},
    succeeded: { on: { SETTLE: 'settled' } },
    failed: { on: { SCHEDULE: 'scheduled', DEAD_LETTER: 'deadLettered', SETTLE: 'settled' } },
    scheduled: { on: { DISPATCH: 'dispatched', SETTLE: 'settled' } },
    deadLettered: { on: { SETTLE: 'settled' } },
    settled: { type: 'final' },
  },
});

export type LifecycleState =
  'received' | 'dispatched' | 'abandoned' | 'succeeded' | 'failed' | 'scheduled' | 'deadLettered' | 'settled';
export type LifecycleEvent =
  'DISPATCH' | 'SUCCEED' | 'FAIL' | 'ABANDON' | 'SCHEDULE' | 'DEAD_LETTER' | 'SETTLE' | 'SKIP';

/**
 * Whether a message in each state is settled: done with, so the watermark
 * may pass it and the broker may forget it. Every state has a verdict here
 * (a test checks it), so adding a state forces a decision.
 */
export const SETTLED_VERDICT: Readonly<Record<LifecycleState, boolean>> = {
  received: false,
  dispatched: false,
  abandoned: false,
  succeeded: false,
  failed: false,
  scheduled: false,
  // Unsettled until the dead-letter copy is confirmed (then SETTLE).
  deadLettered: false,
  settled: true,
};

/** Numeric state codes, in declaration order. */
export const STATES = Object.keys(messageLifecycleMachine.config.states!) as LifecycleState[];
const EVENTS: LifecycleEvent[] = [
  'DISPATCH',
  'SUCCEED',
  'FAIL',
  'ABANDON',
  'SCHEDULE',
  'DEAD_LETTER',
  'SETTLE',
  'SKIP',
];

/** Transition table derived from the machine: `table[state * events + event]` is the next state code or -1. */
function deriveTable(): Int8Array {
  const table = new Int8Array(STATES.length * EVENTS.length).fill(-1);
  const states = messageLifecycleMachine.config.states as Record<string, { on?: Record<string, string> }>;
  STATES.forEach((s, si) => {
    for (const [event, target] of Object.entries(states[s]!.on ?? {})) {
      table[si * EVENTS.length + EVENTS.indexOf(event as LifecycleEvent)] = STATES.indexOf(target as LifecycleState);
    }
  });
  return table;
}

const TABLE = deriveTable();
export const S = Object.fromEntries(STATES.map((s, i) => [s, i])) as Record<LifecycleState, number>;
export const E = Object.fromEntries(EVENTS.map((e, i) => [e, i])) as Record<LifecycleEvent, number>;

const SETTLED_CODES = Uint8Array.from(STATES, (s) => (SETTLED_VERDICT[s] ? 1 : 0));

/** Whether the state code is a settled state (see {@link SETTLED_VERDICT}); no reliance on declaration order. */
export function isSettled(state: number): boolean {
  return SETTLED_CODES[state] === 1;
}

/** Next state code for `event` from `state`; throws on a transition the machine does not allow (a runtime bug). */
export function nextState(state: number, event: number): number {
  const next = TABLE[state * EVENTS.length + event]!;
  if (next < 0) throw new Error(`partita internal error: message cannot ${EVENTS[event]} from ${STATES[state]}`);
  return next;
}
