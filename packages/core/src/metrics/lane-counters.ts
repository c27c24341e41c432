/**
 * The counters of one lane, written once where the thing happens: the lane's
 * `inspect()` stats read them, and the app's metrics sum them over its lanes
 * (see `Metrics.attach`). Nothing counts the same event twice.
 */
export class LaneCounters {
  /** Records delivered to the lane (the app's `consumed`). */
  received = 0;
  succeeded = 0;
  failed = 0;
  retried = 0;
  /** Delayed retries whose hand-off to the broker failed (they were retried in place instead). */
  retryHandoffFailures = 0;
  deadLettered = 0;
  readonly deadLetteredByReason: Record<string, number> = {};
  /** Attempts running now. */
  inFlight = 0;

  countDeadLetter(reason: string): void {
    this.deadLettered++;
    this.deadLetteredByReason[reason] = (this.deadLetteredByReason[reason] ?? 0) + 1;
  }

  /** Add `other`'s totals to these (a finished lane folded into the app's past). */
  add(other: LaneCounters): void {
    this.received += other.received;
    this.succeeded += other.succeeded;
    this.failed += other.failed;
    this.retried += other.retried;
    this.retryHandoffFailures += other.retryHandoffFailures;
    this.deadLettered += other.deadLettered;
    this.inFlight += other.inFlight;
    for (const [reason, n] of Object.entries(other.deadLetteredByReason))
      this.deadLetteredByReason[reason] = (this.deadLetteredByReason[reason] ?? 0) + n;
  }
}
