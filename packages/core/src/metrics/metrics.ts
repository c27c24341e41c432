import type { MetricsSnapshot } from '../app/app-types.js';

/** Upper bounds (ms) of the handler duration histogram; the last bucket is +Inf. */
export const DURATION_BOUNDS_MS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

/** Cheap counters and a fixed-bucket histogram (docs/design.md §10); exporters read `snapshot()`. */
export class Metrics {
  consumed = 0;
  published = 0;
  succeeded = 0;
  failed = 0;
  retried = 0;
  /** Delayed retries whose hand-off to the broker failed (they were retried in place instead). */
  retryHandoffFailures = 0;
  deadLettered = 0;
  inFlight = 0;
  readonly deadLetteredByReason: Record<string, number> = {};
  private readonly buckets = new Array<number>(DURATION_BOUNDS_MS.length + 1).fill(0);

  observeDuration(ms: number): void {
    let i = 0;
    while (i < DURATION_BOUNDS_MS.length && ms > DURATION_BOUNDS_MS[i]!) i++;
    this.buckets[i]!++;
  }

  countDeadLetter(reason: string): void {
    this.deadLettered++;
    this.deadLetteredByReason[reason] = (this.deadLetteredByReason[reason] ?? 0) + 1;
  }

  snapshot(): MetricsSnapshot {
    return {
      consumed: this.consumed,
      published: this.published,
      succeeded: this.succeeded,
      failed: this.failed,
      retried: this.retried,
      retryHandoffFailures: this.retryHandoffFailures,
      deadLettered: this.deadLettered,
      deadLetteredByReason: { ...this.deadLetteredByReason },
      inFlight: this.inFlight,
      durationMs: { bounds: [...DURATION_BOUNDS_MS], counts: [...this.buckets] },
    };
  }
}
