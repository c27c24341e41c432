import type { JsMsg } from '@nats-io/jetstream';
import type { Clock, TimerHandle } from '@partita/core';

/** A record a lane holds, as {@link WorkingTouch} sees it. */
export interface Touched {
  readonly msg: JsMsg;
  /** When the server's ack timer of the record last restarted (delivery or `working()`). */
  touchedAt: number;
}

/**
 * Keeps the records a lane holds from being redelivered while the runtime
 * still has them: every quarter of `ack_wait` (at least 50 ms), each record
 * last touched half of `ack_wait` ago or more gets `working()`, which restarts
 * the server's ack timer. A round ends at the first `working()` that throws
 * (the connection is gone: `ack_wait` redelivers); the rounds end at `stop()`,
 * or once `finished()` holds (the lane stopped and holds nothing).
 */
export class WorkingTouch {
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly ackWaitMs: number,
    private readonly held: () => Iterable<Touched>,
    private readonly finished: () => boolean,
  ) {}

  start(): void {
    const every = Math.max(50, Math.floor(this.ackWaitMs / 4));
    this.timer = this.clock.setTimeout(() => {
      if (this.finished()) return;
      const now = this.clock.now();
      const due = this.ackWaitMs / 2;
      for (const t of this.held()) {
        if (now - t.touchedAt < due) continue;
        try {
          t.msg.working();
          t.touchedAt = now;
        } catch {
          break;
        }
      }
      if (this.timer !== undefined) this.start();
    }, every);
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
