import type { DeadLetterReason } from '../app/app-types.js';
import { DecodeError, MaxRetriesExceededError, TimeoutError } from '../errors/partita-error.js';
import type { HandlerDefinition } from '../handler/handler.js';

/** What to do with a failed attempt: retry it, or dead-letter it with a reason and the error to record. */
export type FailureVerdict =
  { readonly retry: true } | { readonly retry: false; readonly reason: DeadLetterReason; readonly error: unknown };

const named = (err: unknown, name: string): boolean => (err as { name?: unknown } | null)?.name === name;

/**
 * The retry policy's decision for attempt `attempt` failing with `err`.
 * Decode errors never retry; otherwise `retry.retryable(err)` decides (a
 * throwing predicate counts as retryable) until `maxAttempts`, after which the
 * recorded error is a `MaxRetriesExceededError` with `err` as cause. Timeouts
 * carry the reason `timeout` either way. Errors that crossed a thread are
 * recognised by name.
 */
export function judgeFailure(err: unknown, attempt: number, retry: HandlerDefinition['retry']): FailureVerdict {
  if (err instanceof DecodeError || named(err, 'DecodeError')) return { retry: false, reason: 'decode', error: err };
  let retryable: boolean;
  try {
    retryable = retry.retryable(err);
  } catch {
    retryable = true;
  }
  if (retryable && attempt < retry.maxAttempts) return { retry: true };
  const timedOut = err instanceof TimeoutError || named(err, 'TimeoutError');
  if (!retryable) return { retry: false, reason: timedOut ? 'timeout' : 'non-retryable', error: err };
  return {
    retry: false,
    reason: timedOut ? 'timeout' : 'max-retries',
    error: new MaxRetriesExceededError(attempt, { cause: err }),
  };
}
