import { performance } from 'node:perf_hooks';

/**
 * `performance.now()` read at most once per event-loop turn: the first read
 * of a turn asks the clock and the value holds until the turn's check phase
 * (an unref'd `setImmediate`). A clock read costs ~50 ns, half of the
 * per-message budget of a sub-microsecond handler; attempt durations then
 * have turn resolution, as the lane's own (core's `TurnClock`).
 */
export class TurnTime {
  private cached = 0;
  private fresh = false;
  private readonly expire = (): void => {
    this.fresh = false;
  };

  /** Milliseconds (`performance.now()` of this turn's first read). */
  now(): number {
    if (!this.fresh) {
      this.cached = performance.now();
      this.fresh = true;
      setImmediate(this.expire).unref();
    }
    return this.cached;
  }
}
