import type { MetricsSnapshot } from '../app/app-types.js';
import { LaneCounters } from './lane-counters.js';

/** Upper bounds (ms) of the handler duration histogram; the last bucket is +Inf. */
export const DURATION_BOUNDS_MS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

/**
 * The app's metrics (docs/architecture.md, "What the lane machine owns"); exporters read `snapshot()`. Message counts
 * are the sum of the lanes' own counters (each attached while the lane lives,
 * folded into `past` when it finishes); `published` and the duration
 * histogram are the app's own.
 */
export class Metrics {
  published = 0;
  private readonly lanes = new Set<LaneCounters>();
  private readonly past = new LaneCounters();
  private readonly buckets = new Array<number>(DURATION_BOUNDS_MS.length + 1).fill(0);

  private durationSumMs = 0;

  observeDuration(ms: number): void {
    this.durationSumMs += ms;
    let i = 0;
    while (i < DURATION_BOUNDS_MS.length && ms > DURATION_BOUNDS_MS[i]!) i++;
    this.buckets[i]!++;
  }

  /** Count a lane's counters in the app's metrics from now on. */
  attach(counters: LaneCounters): void {
    this.lanes.add(counters);
  }

  /** The lane finished: keep its totals, forget the lane. */
  detach(counters: LaneCounters): void {
    if (this.lanes.delete(counters)) this.past.add(counters);
  }

  snapshot(): MetricsSnapshot {
    const t = new LaneCounters();
    t.add(this.past);
    for (const c of this.lanes) t.add(c);
    return {
      consumed: t.received,
      published: this.published,
      succeeded: t.succeeded,
      failed: t.failed,
      retried: t.retried,
      retryHandoffFailures: t.retryHandoffFailures,
      deadLettered: t.deadLettered,
      deadLetteredByReason: t.deadLetteredByReason,
      inFlight: t.inFlight,
      durationMs: { bounds: [...DURATION_BOUNDS_MS], counts: [...this.buckets], sumMs: this.durationSumMs },
    };
  }
}
