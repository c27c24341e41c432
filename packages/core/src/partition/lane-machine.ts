import { createMachine } from 'xstate';

/**
 * The mode of one partition lane (docs/design.md §4). The actor drives it once per
 * batch and on the failure path, never per message.
 *
 * - `running.fetch`: `waiting` (nothing to do), `fetching` (records to
 *   process), `backingOff` (partition ordering: the head waits for its retry).
 * - `running.commit`: `idle` / `committing`.
 * - `paused`: backpressure (buffer, in-flight or executor queue full).
 * - `blocked`: a dead-letter publish or a commit keeps failing; retried, never skipped.
 * - `draining` → `stopped`: on stop or revocation.
 */
export const laneMachine = createMachine({
  id: 'lane',
  initial: 'starting',
  states: {
    starting: { on: { STARTED: 'running' } },
    running: {
      type: 'parallel',
      on: { PAUSE: 'paused', BLOCK: 'blocked', DRAIN: 'draining' },
      states: {
        fetch: {
          initial: 'waiting',
          states: {
            waiting: { on: { RECORDS: 'fetching' } },
            fetching: { on: { IDLE: 'waiting', BACK_OFF: 'backingOff' } },
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
    },
    paused: { on: { RESUME: 'running', BLOCK: 'blocked', DRAIN: 'draining' } },
    blocked: { on: { UNBLOCK: 'running', DRAIN: 'draining' } },
    draining: { on: { DRAINED: 'stopped' } },
    stopped: { type: 'final' },
  },
});

export type LaneEvent =
  | 'STARTED'
  | 'RECORDS'
  | 'IDLE'
  | 'BACK_OFF'
  | 'RETRY_DUE'
  | 'COMMIT'
  | 'COMMITTED'
  | 'PAUSE'
  | 'RESUME'
  | 'BLOCK'
  | 'UNBLOCK'
  | 'DRAIN'
  | 'DRAINED';

/** Region-level view of a state value: `running`, `fetch.waiting`, `commit.idle`. */
export function regionStates(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  const [top, regions] = Object.entries(value as Record<string, Record<string, string>>)[0]!;
  return [top, ...Object.entries(regions).map(([r, v]) => `${r}.${v}`)];
}
