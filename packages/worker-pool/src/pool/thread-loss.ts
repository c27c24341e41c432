import type { ExecutorOutcome, SerializedError } from '@partita/core';
import { PROGRESS_SEQ, Status } from '../wire/wire-task.js';

export const OK: ExecutorOutcome = Object.freeze({ ok: true as const });

/** What the pool knows about a task whose thread died or was terminated. */
export interface LostTask {
  readonly handler: string;
  readonly timeoutMs: number;
  readonly progress: Int32Array;
  readonly status: Uint8Array;
  /** Failure details the worker posted before it died, by message index. */
  readonly failures: ReadonlyMap<number, SerializedError>;
  /** Index of the message the watchdog timed out, or -1. */
  readonly timedOutIndex: number;
}

/**
 * Outcomes of a task whose thread went away: finished messages keep their
 * outcome, the message that was running fails (a `TimeoutError` when the
 * watchdog stopped it, else `WorkerCrashedError`, both retryable), and the
 * indexes of messages that never started are returned in `notStarted`.
 */
export function outcomesAfterThreadLoss(
  task: LostTask,
  cause: unknown,
): { outcomes: (ExecutorOutcome | undefined)[]; notStarted: number[] } {
  const n = task.status.length;
  const seq = Atomics.load(task.progress, PROGRESS_SEQ);
  const running = seq % 2 === 1 ? (seq - 1) / 2 : -1;
  const reason = cause instanceof Error ? cause.message : String(cause);
  const outcomes = new Array<ExecutorOutcome | undefined>(n);
  const notStarted: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = task.status[i];
    if (s === Status.ok) outcomes[i] = OK;
    else if (s === Status.okPublished) {
      // It succeeded, but what it published died with the thread: run it again.
      outcomes[i] = {
        ok: false,
        error: {
          name: 'WorkerCrashedError',
          message: `worker thread exited after this message succeeded, before its published records reached the main thread (${reason}); it is retried`,
          retryable: true,
        },
      };
    } else if (s === Status.failedRetryable || s === Status.failedFinal) {
      outcomes[i] = {
        ok: false,
        error: task.failures.get(i) ?? {
          name: 'Error',
          message: `handler failed; details lost because the worker thread exited (${reason})`,
          retryable: s === Status.failedRetryable,
        },
      };
    } else if (i === running) {
      outcomes[i] = {
        ok: false,
        error:
          i === task.timedOutIndex
            ? {
                name: 'TimeoutError',
                code: 'ERR_TIMEOUT',
                message: `handler "${task.handler}" exceeded timeoutMs=${task.timeoutMs}; its worker thread was terminated and replaced`,
                retryable: true,
              }
            : {
                name: 'WorkerCrashedError',
                message: `worker thread exited while handling this message (${reason}); the pool replaced the thread`,
                retryable: true,
              },
      };
    } else {
      notStarted.push(i);
    }
  }
  return { outcomes, notStarted };
}

/** The failure of a message that was not run because its thread kept failing. */
export function notRunError(cause: unknown): SerializedError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return {
    name: 'WorkerCrashedError',
    message: `not run: its worker thread exited before the message started (${reason})`,
    retryable: true,
  };
}
