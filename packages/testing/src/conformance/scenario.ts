import type { ConformanceFeatures } from './conformance-options.js';
import type { ScenarioHarness } from './scenario-harness.js';

/** One conformance scenario: a vitest `it` run against a fresh harness. */
export interface Scenario {
  readonly name: string;
  /** Feature flags the scenario needs; it is skipped when one is `false`. */
  readonly requires?: readonly (keyof ConformanceFeatures)[];
  run(h: ScenarioHarness): Promise<void>;
}

/** Resolve once `signal` aborts (a handler that hangs until the runtime gives up on it). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** `n` ids `${prefix}-0..n-1`. */
export function ids(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
}
