/** Records a lane may have requested and not yet received, in units of `maxInFlight`. */
export const REQUEST_FACTOR = 2;
/** Records a lane may hold (requested, being admitted, unsettled), in units of `maxInFlight`. */
export const WINDOW_FACTOR = 3;

/**
 * How many records a JetStream lane may ask for in its next pull request.
 *
 * Two bounds: records requested and not yet received stay within
 * `2 × maxInFlight`, and everything the lane holds (requested, waiting for
 * its hand-back count, delivered and not yet settled) stays within
 * `3 × maxInFlight`. Both are larger than the handler's window on purpose: a
 * record stays unsettled for the turn its handler runs in and the turn its
 * ack goes out in, and pulls must go on meanwhile; on a loaded machine an
 * event-loop turn takes tens of milliseconds, and a lane takes in at most
 * what it requested per turn. The window is not larger because a record
 * waiting in it is not handled, and past `ack_wait` (counted from its
 * delivery) the server gives it to another member: with 4 × `maxInFlight`
 * the NATS soak saw records handled twice by live members. A pull is worth
 * making once a quarter of `maxInFlight` is free, or when nothing is
 * requested at all.
 */
export class PullCredit {
  /** Records asked for by open pull requests and not received yet. */
  requested = 0;
  private readonly maxRequested: number;
  private readonly window: number;
  private readonly threshold: number;

  constructor(maxInFlight: number) {
    this.maxRequested = REQUEST_FACTOR * maxInFlight;
    this.window = WINDOW_FACTOR * maxInFlight;
    this.threshold = Math.max(1, Math.floor(maxInFlight / 4));
  }

  /** The size of the next pull, given the records the lane holds; 0 when no pull is worth making. */
  next(held: number): number {
    const credit = Math.min(this.maxRequested - this.requested, this.window - held - this.requested);
    return credit >= this.threshold || (credit > 0 && this.requested === 0) ? credit : 0;
  }

  /** A record arrived: true when enough request credit is free for another pull (if the window allows). */
  received(): boolean {
    this.requested--;
    return this.requested <= this.maxRequested - this.threshold;
  }
}
