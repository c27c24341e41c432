import type { Clock, TimerHandle } from '../clock/clock.js';
import { TimeoutError } from '../errors/partita-error.js';
import type { Entry } from './entry.js';
import { S } from './message-lifecycle.js';
import type { Watermark } from './watermark.js';

/**
 * The deadlines of a lane's running attempts: one timer per lane, armed for
 * the earliest deadline of the entries in flight; a new deadline earlier than
 * the armed one re-arms it. When it fires, each attempt past its deadline is
 * aborted with a `TimeoutError` and handed to `expire`, then the timer is
 * armed for the earliest one still running.
 */
export class AttemptDeadlines {
  private timer: TimerHandle | undefined;
  /** When `timer` fires: the earliest deadline it was armed for. */
  private at = Infinity;

  constructor(
    private readonly clock: Clock,
    /** Deadlines and `Entry.startedAt` count ms after this time of `clock` (the lane's turn-clock origin). */
    private readonly origin: number,
    private readonly watermark: Watermark,
    private readonly timeoutMs: number,
    private readonly handler: string,
    private readonly expire: (entry: Entry, err: TimeoutError) => void,
  ) {}

  /** An attempt started at `startedAt` (ms after `origin`) is running. */
  started(startedAt: number): void {
    // Checked here, not only in `arm`: nearly every start is later than the armed deadline.
    if (startedAt + this.timeoutMs < this.at) this.arm(startedAt + this.timeoutMs);
  }

  private arm(deadline: number): void {
    if (deadline >= this.at || deadline === Infinity) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.at = deadline;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, deadline - (this.clock.now() - this.origin)));
  }

  clear(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Infinity;
  }

  private fire(): void {
    this.timer = undefined;
    this.at = Infinity;
    const now = this.clock.now() - this.origin;
    const timeoutMs = this.timeoutMs;
    const expired: Entry[] = [];
    this.watermark.forEach((entry) => {
      if (entry.state === S.dispatched && entry.startedAt + timeoutMs <= now) expired.push(entry);
    });
    for (const entry of expired) {
      const err = new TimeoutError(`handler "${this.handler}" did not finish within ${this.timeoutMs} ms`);
      entry.attemptCtx?.abort(err);
      this.expire(entry, err);
    }
    // Completions may have dispatched new work (arming for its deadline); the earliest still-running deadline wins.
    let next = Infinity;
    this.watermark.forEach((entry) => {
      if (entry.state === S.dispatched && entry.startedAt + timeoutMs < next) next = entry.startedAt + timeoutMs;
    });
    this.arm(next);
  }
}
