import { TimeoutError } from '../errors/partita-error.js';
import type { LaneAttemptHook } from '../instrumentation/lane-attempt-hook.js';
import type { AttemptDeadlines } from './attempt-deadlines.js';
import type { FailurePath } from './failure-path.js';
import type { LaneContext } from './lane-context.js';
import type { LaneEntries } from './lane-entries.js';
import type { LaneMode } from './lane-mode.js';
import type { LaneReport } from './lane-report.js';
import type { LaneSettlement } from './lane-settlement.js';
import type { WorkerDispatch } from './worker-dispatch.js';

/** The parts of a lane its drain reads and stops. */
export interface DrainedParts {
  readonly ctx: LaneContext;
  readonly mode: LaneMode;
  readonly entries: LaneEntries;
  readonly report: LaneReport;
  readonly settlement: LaneSettlement;
  readonly failures: FailurePath;
  readonly deadlines: AttemptDeadlines;
  readonly workers: WorkerDispatch | undefined;
  readonly hook: LaneAttemptHook | undefined;
}

/**
 * How a lane goes quiet and stops: `checkIdle` tells the lane machine when
 * nothing is left to run (`IDLE`) and wakes a drain waiting for quiet; the
 * drain (`DRAIN` … `DRAINED`) lets attempts in flight finish, aborts them at
 * the deadline, makes the final commit or acks, and clears every timer.
 */
export class LaneDrain {
  private onQuiet: (() => void) | undefined;
  private drained: Promise<void> | undefined;

  constructor(private readonly parts: DrainedParts) {}

  /** After dispatching or ending attempts: idle when nothing runs, waits or backs off; quiet for a drain. */
  checkIdle(): void {
    const { mode, entries, report, failures } = this.parts;
    const { inFlight } = report.counters;
    if (inFlight === 0 && entries.scheduler.readyCount === 0 && failures.backingOff === 0 && mode.fetch === 'fetching')
      mode.send({ type: 'IDLE' });
    // No attempt running, no broker call of the failure path under way.
    if (this.onQuiet !== undefined && inFlight === 0 && failures.pending === 0) this.onQuiet();
  }

  /** Idempotent: the first call's drain. */
  drain(timeoutMs: number): Promise<void> {
    return (this.drained ??= this.run(timeoutMs));
  }

  private async run(timeoutMs: number): Promise<void> {
    const { ctx, mode, entries, report, settlement } = this.parts;
    const deadline = ctx.clock.now() + timeoutMs;
    mode.send({ type: 'DRAIN' });
    entries.scheduler.clear();
    await new Promise<void>((resolve) => {
      const timer = ctx.clock.setTimeout(resolve, timeoutMs);
      this.onQuiet = () => {
        ctx.clock.clearTimeout(timer);
        resolve();
      };
      this.checkIdle();
    });
    this.onQuiet = undefined;
    if (report.counters.inFlight > 0) this.abortRunning(timeoutMs);
    this.clearTimers();
    await settlement.finish(Math.max(0, deadline - ctx.clock.now()));
    mode.send({ type: 'DRAINED' });
    this.clearTimers();
    mode.stop();
    report.close();
  }

  /** The deadline passed with attempts still running: abort them (their scopes end with the same error). */
  private abortRunning(timeoutMs: number): void {
    const { ctx, entries, report, workers, hook } = this.parts;
    const err = new TimeoutError(`drain: handler "${ctx.handler.name}" still running after ${timeoutMs} ms; aborted`);
    if (hook !== undefined)
      entries.watermark.forEach((entry) => {
        const scope = entry.scope;
        if (scope === undefined) return;
        entry.scope = undefined;
        hook.end(scope, err);
      });
    entries.abortRunning(err);
    workers?.abandon();
    report.counters.inFlight = 0;
  }

  /** Nothing of this lane may keep the process alive after the drain: backoff, dead-letter and timeout timers. */
  private clearTimers(): void {
    this.parts.failures.cancel();
    this.parts.deadlines.clear();
  }
}
