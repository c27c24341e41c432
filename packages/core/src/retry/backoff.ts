import type { BackoffOptions } from '../handler/handler.js';

/**
 * Delay before retry number `attempt` (1 = the delay after the first failure):
 * `min(maxMs, initialMs * multiplier^(attempt-1))`, then spread by ± `jitter`
 * of itself using `random()` in [0, 1). Rounded to whole milliseconds.
 */
export function backoffDelay(backoff: Required<BackoffOptions>, attempt: number, random: () => number): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.multiplier ** Math.max(0, attempt - 1));
  const spread = base * backoff.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(Math.min(backoff.maxMs, base + spread)));
}

/**
 * Delay before trying a broker operation again after `failures` failures
 * (dead-letter publishes, commits): 100 ms doubling, capped at `maxMs`.
 */
export function cappedBackoff(failures: number, maxMs = 30_000): number {
  return Math.min(maxMs, 100 * 2 ** Math.min(Math.max(0, failures), 20));
}
