import { TimeoutError, systemClock } from '@partita/core';
import type { Clock } from '@partita/core';

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many ms. @defaultValue 30_000 */
  readonly timeoutMs?: number;
  /** Pause between two evaluations of the condition. @defaultValue 20 */
  readonly intervalMs?: number;
  /** Describes what is awaited; it appears in the timeout error. @defaultValue 'condition' */
  readonly description?: string;
  /**
   * Called once on timeout; its return value is appended to the error message
   * (e.g. a ledger summary), so a failing test says what was missing.
   */
  readonly diagnose?: () => string;
  /** Time source for the deadline and the pauses. @defaultValue systemClock */
  readonly clock?: Clock;
}

/** A condition: truthy means done. Its truthy value is what `waitFor` resolves with. */
export type Condition<T> = () => T | false | null | undefined | 0 | '' | Promise<T | false | null | undefined | 0 | ''>;

function validate(options: WaitForOptions): { timeoutMs: number; intervalMs: number } {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 20;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new RangeError(`waitFor: options.timeoutMs must be a finite number >= 0, got ${String(timeoutMs)}`);
  }
  if (!Number.isFinite(intervalMs) || intervalMs < 1) {
    throw new RangeError(`waitFor: options.intervalMs must be a finite number >= 1, got ${String(intervalMs)}`);
  }
  return { timeoutMs, intervalMs };
}

/**
 * Poll `condition` until it returns a truthy value and resolve with that
 * value; reject with a core `TimeoutError` naming `description` (plus
 * `diagnose()`) when `timeoutMs` passes first. A condition that throws
 * rejects at once with that error. The condition is always evaluated at least
 * once, also with `timeoutMs: 0`. Never a fixed sleep: tests use this instead.
 */
export async function waitFor<T>(condition: Condition<T>, options: WaitForOptions = {}): Promise<T> {
  if (typeof condition !== 'function') {
    throw new TypeError('waitFor: condition must be a function returning a truthy value when done');
  }
  const { timeoutMs, intervalMs } = validate(options);
  const clock = options.clock ?? systemClock;
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    const left = deadline - clock.now();
    if (left <= 0) break;
    await new Promise<void>((resolve) => clock.setTimeout(resolve, Math.min(intervalMs, left)));
  }
  const what = options.description ?? 'condition';
  let detail = '';
  if (options.diagnose) {
    try {
      detail = `: ${options.diagnose()}`;
    } catch (err) {
      detail = `: (diagnose failed: ${(err as Error)?.message ?? String(err)})`;
    }
  }
  throw new TimeoutError(`waited ${timeoutMs} ms for ${what}${detail}`);
}
