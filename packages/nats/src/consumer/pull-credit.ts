/** Records a lane may hold (requested, being admitted, unsettled), in units of `maxInFlight`. */
export const WINDOW_FACTOR = 4;

/**
 * How many records a JetStream lane may ask for in its next pull request.
 *
 * Two bounds: records requested and not yet received stay within
 * `maxInFlight` (what a raw `consume({ max_messages })` loop keeps asked
 * for), and everything the lane holds (requested, waiting for its hand-back
 * count, delivered and not yet settled) stays within `WINDOW_FACTOR ×
 * maxInFlight`. The second bound is larger than the handler's window on
 * purpose: a record stays unsettled for the turn its handler runs in and the
 * turn its ack goes out in, and pulls must go on meanwhile, or every ack turn
 * would stall delivery (one round trip to the server per `maxInFlight`
 * records). A pull is worth making once a quarter of `maxInFlight` is free,
 * or when nothing is requested at all.
 */
export class PullCredit {
  /** Records asked for by open pull requests and not received yet. */
  requested = 0;
  private readonly window: number;
  private readonly threshold: number;

  constructor(private readonly maxInFlight: number) {
    this.window = WINDOW_FACTOR * maxInFlight;
    this.threshold = Math.max(1, Math.floor(maxInFlight / 4));
  }

  /** The size of the next pull, given the records the lane holds; 0 when no pull is worth making. */
  next(held: number): number {
    const credit = Math.min(this.maxInFlight - this.requested, this.window - held - this.requested);
    return credit >= this.threshold || (credit > 0 && this.requested === 0) ? credit : 0;
  }

  /** A record arrived: true when enough request credit is free for another pull (if the window allows). */
  received(): boolean {
    this.requested--;
    return this.requested <= this.maxInFlight - this.threshold;
  }
}
