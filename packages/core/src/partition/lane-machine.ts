import { and, assign, not, setup, stateIn } from 'xstate';

/** Why a lane is blocked: which broker operation keeps failing (retried with backoff, never skipped). */
export type BlockReason = 'dead-letter' | 'commit';

/** Why a lane's flow is paused by backpressure: the window or the executor queue is full. */
export type BackpressureReason = 'buffered messages' | 'buffered bytes' | 'executor queue full';

/**
 * Why a lane's flow is paused: backpressure, or `operator` (`app.pauseLane`),
 * which only the operator lifts (`app.resumeLane`).
 */
export type PauseReason = BackpressureReason | 'operator';

/** How a lane orders its messages (the handler's `ordering`). */
export type LaneOrdering = 'key' | 'partition' | 'none';

export interface LaneMachineContext {
  readonly ordering: LaneOrdering;
  /** Why `flow` is `paused`; undefined while `open`. */
  readonly pauseReason: PauseReason | undefined;
  /** What `health` is `blocked` by (empty while `ok`); it becomes `ok` when the last one clears. */
  readonly blockedBy: readonly BlockReason[];
}

export type LaneEvent =
  | { readonly type: 'RECORDS' }
  | { readonly type: 'IDLE' }
  | { readonly type: 'BACK_OFF' }
  | { readonly type: 'RETRY_DUE' }
  | { readonly type: 'COMMIT' }
  | { readonly type: 'COMMITTED' }
  | { readonly type: 'PAUSE'; readonly reason: PauseReason }
  /** Backpressure eased (the window is at half): opens a flow paused by backpressure, never the operator's pause. */
  | { readonly type: 'RESUME' }
  /**
   * The operator lifts their pause: the flow opens, or stays paused by
   * backpressure when `pressure` (the window's state now) says it is full.
   */
  | { readonly type: 'OPERATOR_RESUME'; readonly pressure?: BackpressureReason }
  | { readonly type: 'BLOCK'; readonly reason: BlockReason }
  | { readonly type: 'UNBLOCK'; readonly reason: BlockReason }
  | { readonly type: 'DRAIN' }
  | { readonly type: 'DRAINED' };

/** The state value of a lane: one state per region (what `inspect()` shows as `machine`). */
export interface LaneStateValue {
  readonly life: 'running' | 'draining' | 'stopped';
  readonly flow: 'open' | 'paused';
  readonly health: 'ok' | 'blocked';
  readonly fetch: 'waiting' | 'fetching' | 'backingOff';
  readonly commit: 'idle' | 'committing';
}

/**
 * The mode of one partition lane: five parallel regions whose snapshot is the
 * only record of the lane's mode (docs/architecture.md, "What the lane machine
 * owns"). The partition actor drives it once per delivered batch, per commit
 * and on the failure path, never per message.
 *
 * - `life`: `running` → `draining` (stop or revocation; the broker is paused,
 *   no new work starts) → `stopped`.
 * - `flow`: `open` / `paused` (backpressure: the window or the executor queue
 *   is full; or the operator's pause, which no backpressure `RESUME` lifts).
 *   Backpressure resumes it only while the lane is running and not blocked;
 *   `OPERATOR_RESUME` while running (a blocked lane then pauses again only
 *   when its window is full, as a lane that never paused).
 * - `health`: `ok` / `blocked` by one or more {@link BlockReason}s; a
 *   lane can be paused and blocked at once.
 * - `fetch`: `waiting` (nothing to do), `fetching` (work in the lane),
 *   `backingOff` (partition ordering: the head waits for its retry, so the
 *   whole lane does). New work starts only while running.
 * - `commit`: `idle` / `committing` (one commit at a time), also while draining.
 *
 * The actions `pauseBroker` and `resumeBroker` are the lane handle's
 * `pause()`/`resume()`, provided by the actor (`laneMachine.provide`).
 */
export const laneMachine = setup({
  types: {
    context: {} as LaneMachineContext,
    events: {} as LaneEvent,
    input: {} as { ordering: LaneOrdering },
  },
  actions: {
    pauseBroker: () => undefined,
    resumeBroker: () => undefined,
  },
  guards: {
    partitionOrdered: ({ context }) => context.ordering === 'partition',
    heldByOperator: ({ context }) => context.pauseReason === 'operator',
    operatorPause: ({ event }) => event.type === 'PAUSE' && event.reason === 'operator',
    stillPressed: ({ event }) => event.type === 'OPERATOR_RESUME' && event.pressure !== undefined,
    lastBlock: ({ context, event }) =>
      event.type === 'UNBLOCK' && context.blockedBy.length === 1 && context.blockedBy[0] === event.reason,
  },
}).createMachine({
  id: 'lane',
  type: 'parallel',
  context: ({ input }) => ({ ordering: input.ordering, pauseReason: undefined, blockedBy: [] }),
  states: {
    life: {
      initial: 'running',
      states: {
        running: { on: { DRAIN: { target: 'draining', actions: 'pauseBroker' } } },
        draining: { on: { DRAINED: 'stopped' } },
        stopped: {},
      },
    },
    flow: {
      initial: 'open',
      states: {
        open: {
          on: {
            PAUSE: {
              guard: stateIn({ life: 'running' }),
              target: 'paused',
              actions: ['pauseBroker', assign({ pauseReason: ({ event }) => event.reason })],
            },
          },
        },
        paused: {
          on: {
            // The operator's pause takes over a backpressure pause (it outlasts it).
            PAUSE: {
              guard: and(['operatorPause', stateIn({ life: 'running' })]),
              actions: assign({ pauseReason: 'operator' }),
            },
            RESUME: {
              guard: and([stateIn({ life: 'running' }), stateIn({ health: 'ok' }), not('heldByOperator')]),
              target: 'open',
              actions: ['resumeBroker', assign({ pauseReason: undefined })],
            },
            OPERATOR_RESUME: [
              {
                guard: and(['heldByOperator', stateIn({ life: 'running' }), 'stillPressed']),
                actions: assign({
                  pauseReason: ({ event }) => (event.type === 'OPERATOR_RESUME' ? event.pressure : undefined),
                }),
              },
              {
                guard: and(['heldByOperator', stateIn({ life: 'running' })]),
                target: 'open',
                actions: ['resumeBroker', assign({ pauseReason: undefined })],
              },
            ],
          },
        },
      },
    },
    health: {
      initial: 'ok',
      states: {
        ok: {
          on: {
            BLOCK: {
              guard: not(stateIn({ life: 'stopped' })),
              target: 'blocked',
              actions: assign({ blockedBy: ({ event }) => [event.reason] }),
            },
          },
        },
        blocked: {
          on: {
            BLOCK: {
              actions: assign({
                blockedBy: ({ context, event }) =>
                  context.blockedBy.includes(event.reason) ? context.blockedBy : [...context.blockedBy, event.reason],
              }),
            },
            UNBLOCK: [
              { guard: 'lastBlock', target: 'ok', actions: assign({ blockedBy: [] }) },
              {
                actions: assign({
                  blockedBy: ({ context, event }) => context.blockedBy.filter((r) => r !== event.reason),
                }),
              },
            ],
          },
        },
      },
    },
    fetch: {
      initial: 'waiting',
      states: {
        waiting: { on: { RECORDS: { guard: stateIn({ life: 'running' }), target: 'fetching' } } },
        fetching: { on: { IDLE: 'waiting', BACK_OFF: { guard: 'partitionOrdered', target: 'backingOff' } } },
        backingOff: { on: { RETRY_DUE: 'fetching' } },
      },
    },
    commit: {
      initial: 'idle',
      states: {
        idle: { on: { COMMIT: 'committing' } },
        committing: { on: { COMMITTED: 'idle' } },
      },
    },
  },
});

/** Region-level view of a state value: `life.running`, `fetch.waiting`, `commit.idle`, ... */
export function regionStates(value: unknown): string[] {
  return Object.entries(value as Record<string, string>).map(([region, state]) => `${region}.${state}`);
}
