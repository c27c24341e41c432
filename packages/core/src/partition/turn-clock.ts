import { TurnQueue, type Clock } from '../clock/clock.js';

/**
 * Coarse time for hot paths: one clock read per event-loop turn instead of
 * two per message (a read costs ~50 ns, a tenth of the per-message budget).
 * Deadlines and durations have turn resolution; backoff timers use the
 * clock itself.
 */
export class TurnClock {
  private cached = 0;
  private fresh = false;
  private readonly expire: TurnQueue;
  /** The clock's time when this turn clock was made: `elapsed()` counts from it. */
  readonly origin: number;

  constructor(private readonly clock: Clock) {
    this.expire = new TurnQueue(clock, () => {
      this.fresh = false;
    });
    this.origin = clock.now();
  }

  /** This turn's time in ms after `origin`: a small number, cheaper to keep per entry than a time since the epoch. */
  elapsed(): number {
    return this.now() - this.origin;
  }

  now(): number {
    if (!this.fresh) {
      this.cached = this.clock.now();
      this.fresh = true;
      this.expire.request();
    }
    return this.cached;
  }
}
