import type { LaneContext } from './lane-context.js';
import type { LaneEntries } from './lane-entries.js';
import type { LaneMode } from './lane-mode.js';
import type { WorkerDispatch } from './worker-dispatch.js';

/**
 * The lane's flow decisions: backpressure (pause while the lane holds too
 * much, resume at half; see `LaneEntries.pressure`) and the operator's pause
 * (`app.pauseLane` / `resumeLane`). The lane machine records the outcome
 * (`flow` region, `pauseReason`); this only decides which event to send.
 */
export class LaneFlow {
  constructor(
    private readonly ctx: LaneContext,
    private readonly mode: LaneMode,
    private readonly entries: LaneEntries,
    private readonly workers: WorkerDispatch | undefined,
  ) {}

  /** Pause the flow while the lane holds too much; open it again once it is under half. */
  check(): void {
    if (!this.mode.running) return;
    const p = this.pressure();
    if (p === 'under') {
      if (this.mode.paused) this.mode.send({ type: 'RESUME' });
    } else if (p !== undefined && !this.mode.paused) this.mode.send({ type: 'PAUSE', reason: p });
  }

  /** The operator's pause: the broker side pauses, attempts running finish, nothing new starts. */
  hold(): void {
    this.mode.send({ type: 'PAUSE', reason: 'operator' });
  }

  /**
   * The operator's resume: the flow opens unless the window is full (then
   * backpressure keeps it paused). Returns false when the lane was not held.
   */
  release(): boolean {
    if (!this.mode.held) return false;
    const p = this.pressure();
    this.mode.send(
      p === 'under' || p === undefined ? { type: 'OPERATOR_RESUME' } : { type: 'OPERATOR_RESUME', pressure: p },
    );
    return true;
  }

  private pressure(): ReturnType<LaneEntries['pressure']> {
    const executorFull = this.workers?.saturated() ?? false;
    return this.entries.pressure(this.ctx.maxBufferedMessages, this.ctx.maxBufferedBytes, executorFull);
  }
}
