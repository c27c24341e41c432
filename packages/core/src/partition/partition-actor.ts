import { TimeoutError } from '../errors/partita-error.js';
import type { DeadLetterReason, LaneRef, LaneSnapshot } from '../app/app-types.js';
import type { InboundRecord, LaneHandle, LaneSink } from '../transport/transport.js';
import { LaneAdmission } from './admission.js';
import { AttemptDeadlines } from './attempt-deadlines.js';
import type { HandlerContext } from '../handler/handler.js';
import type { Entry } from './entry.js';
import { FailurePath } from './failure-path.js';
import { HandlerCtx, InboundMessage } from './inbound-message.js';
import { LaneEntries } from './lane-entries.js';
import type { LaneContext } from './lane-context.js';
import { LaneMode } from './lane-mode.js';
import { LaneReport } from './lane-report.js';
import { createLaneSettlement, type LaneSettlement } from './lane-settlement.js';
import { E, S, nextState } from './message-lifecycle.js';
import { isShutdownClosure } from './shutdown-closure.js';
import { TurnClock } from './turn-clock.js';
import { parseSettledOffsets } from './watermark.js';
import { WorkerDispatch } from './worker-dispatch.js';

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}

/** What `startInline` returns when no attempt is running: the entry went to the failure path. */
const NOT_STARTED: unique symbol = Symbol('not started');

/**
 * One actor per (group, topic, partition) lane. Its lane machine (`mode`)
 * owns the lane's mode: flow, health, life, fetch and commit; per-message
 * bookkeeping lives in plain structures (scheduler, watermark, entries).
 * See docs/architecture.md, "What the lane machine owns".
 */
export class PartitionActor implements LaneSink {
  readonly ref: LaneRef;
  private readonly mode: LaneMode;
  private readonly report: LaneReport;
  private readonly settlement: LaneSettlement;
  private readonly failures: FailurePath;
  private readonly deadlines: AttemptDeadlines;
  private readonly turn: TurnClock;
  private readonly offsetModel: boolean;
  private readonly entries: LaneEntries;
  private readonly admission: LaneAdmission;
  private readonly workers: WorkerDispatch | undefined;
  private pumping = false;
  private pumpAgain = false;
  /** The drain waits for the lane to be quiet: no attempt running, no broker call of the failure path under way. */
  private onQuiet: (() => void) | undefined;
  private drained: Promise<void> | undefined;

  constructor(
    lane: LaneHandle,
    private readonly ctx: LaneContext,
  ) {
    const h = ctx.handler;
    this.ref = { handler: h.name, group: lane.id.group, topic: lane.id.topic, partition: lane.id.partition };
    this.offsetModel = lane.ackModel === 'offset';
    this.report = new LaneReport(this.ref, ctx);
    const skip = lane.ackModel === 'offset' ? parseSettledOffsets(lane.committedMetadata) : new Set<number>();
    this.entries = new LaneEntries({ ref: this.ref, ctx }, h.ordering, this.offsetModel, skip, this.report.counters);
    this.admission = new LaneAdmission(ctx.admission, (records, from, to) => this.admit(records, from, to));
    this.mode = new LaneMode(h.ordering, {
      pauseBroker: () => lane.pause(),
      resumeBroker: () => lane.resume(),
      changed: (from, to, machine) => {
        this.report.stateChanged(from, to, machine);
        // No longer blocked: a paused flow may open again.
        if (from.health === 'blocked' && to.health === 'ok') this.checkPressure();
      },
    });
    this.turn = new TurnClock(ctx.clock);
    this.workers =
      h.worker !== undefined && ctx.executor ? new WorkerDispatch(this.ref, ctx, () => this.pump()) : undefined;
    this.failures = new FailurePath(lane, this.ref, ctx, this.mode, this.report);
    const watermark = this.entries.watermark;
    this.deadlines = new AttemptDeadlines(ctx.clock, this.turn.origin, watermark, h.timeoutMs, h.name, (entry, err) =>
      this.failed(entry, entry.gen, err),
    );
    this.settlement = createLaneSettlement(lane, ctx, watermark, this.mode, this.report);
  }

  deliver(records: readonly InboundRecord[]): void {
    if (!this.mode.running || records.length === 0) return;
    this.report.received(records.length);
    if (this.mode.fetch === 'waiting') this.mode.send({ type: 'RECORDS' });
    // What the app's budget has no room for waits aside (and the lane pauses): see `AppAdmission`.
    this.admission.offer(records);
    if (this.admission.heldBack > 0) this.checkPressure();
  }

  /** Records the admission let in become entries. */
  private admit(records: readonly InboundRecord[], from: number, to: number): void {
    const skipped = this.entries.admit(records, from, to);
    if (skipped !== undefined) {
      for (const entry of skipped) this.settlement.settled(entry.rec, 'ack');
      this.admission.release(skipped.length);
    }
    this.pump();
  }

  /** Dispatch ready entries while capacity allows. Re-entrant calls are folded into one loop. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        // Held by the operator: what is running finishes, nothing new starts.
        if (!this.mode.running || this.mode.held) break;
        if (this.workers) this.dispatchToWorkers(this.workers);
        else for (let entry; (entry = this.nextInline()) !== undefined;) void this.runInline(entry);
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
    this.checkPressure();
    this.checkIdle();
  }

  private dispatchToWorkers(workers: WorkerDispatch): void {
    for (;;) {
      const size = workers.room(this.ctx.handler.maxInFlight - this.report.counters.inFlight);
      const batch: Entry[] = [];
      for (let entry; batch.length < size && (entry = this.entries.scheduler.next()) !== undefined;) {
        this.entries.begin(entry, this.turn.elapsed());
        batch.push(entry);
      }
      if (batch.length === 0) return;
      const gens = batch.map((e) => e.gen);
      void workers.run(batch).then((outcomes) => {
        outcomes?.forEach((o, i) =>
          o.ok ? this.succeeded(batch[i]!, gens[i]!) : this.failed(batch[i]!, gens[i]!, o.error),
        );
        this.pump();
      });
    }
  }

  /** The next entry to run inline, if the lane has room and may start work. */
  private nextInline(): Entry | undefined {
    if (this.report.counters.inFlight >= this.ctx.handler.maxInFlight || !this.mode.running || this.mode.held)
      return undefined;
    return this.entries.scheduler.next();
  }

  /**
   * Run `entry`, then further ready entries while the lane has room: each
   * attempt in flight has a runner awaiting it, which takes the next entry
   * itself when the attempt ends. A completion then costs no closures, no
   * derived promise and no pump (docs/architecture.md, decision 53).
   */
  private async runInline(entry: Entry | undefined): Promise<void> {
    // One variable for the entry: a suspended runner's frame keeps its parameters, and a `first` kept
    // for the runner's life held a settled entry and its decoded value (64 KiB values: 16 MiB per app).
    for (; entry !== undefined; entry = this.nextInline()) {
      const result = this.startInline(entry);
      if (result === NOT_STARTED) continue;
      const gen = entry.gen;
      if (isThenable(result)) {
        try {
          await result;
        } catch (err) {
          this.failed(entry, gen, err);
          continue;
        }
      }
      this.succeeded(entry, gen);
    }
    this.checkIdle();
  }

  /** Start an attempt of `entry`: the handler's result, or NOT_STARTED (undecodable, or the handler threw). */
  private startInline(entry: Entry): unknown {
    const undecodable = this.entries.decode(entry, this.ctx.codec);
    if (undecodable !== undefined) {
      entry.state = nextState(entry.state, E.DEAD_LETTER);
      this.report.failed(entry, undecodable.error);
      this.deadLetter(entry, undecodable.error, 'decode');
      return NOT_STARTED;
    }
    this.entries.begin(entry, this.turn.elapsed());
    const gen = entry.gen;
    this.deadlines.started(entry.startedAt);
    // The message is an object of its own (it keeps its value; the entry drops it when settled), the first
    // attempt's context is the entry itself, a later attempt's has its own.
    const message = new InboundMessage(entry);
    let attemptCtx: HandlerContext = entry;
    if (gen !== 1) {
      const later = new HandlerCtx(entry);
      entry.runsLaterAttemptIn(later);
      attemptCtx = later;
    }
    try {
      return this.ctx.handle!(message, attemptCtx);
    } catch (err) {
      this.failed(entry, gen, err);
      return NOT_STARTED;
    }
  }

  /** The attempt `gen` of `entry` ended: its duration, or -1 for a stale one (timed out, re-dispatched, drained). */
  private end(entry: Entry, gen: number): number {
    if (entry.gen !== gen || entry.state !== S.dispatched) return -1;
    const durationMs = this.turn.elapsed() - entry.startedAt;
    this.report.ended(durationMs);
    return durationMs;
  }

  private succeeded(entry: Entry, gen: number): void {
    const durationMs = this.end(entry, gen);
    if (durationMs < 0) return;
    entry.state = nextState(entry.state, E.SUCCEED);
    this.report.succeeded(entry, durationMs);
    this.settle(entry, 'ack');
  }

  private failed(entry: Entry, gen: number, err: unknown): void {
    if (this.end(entry, gen) < 0) return;
    if (isShutdownClosure(err)) {
      // The runtime's own shutdown (app, executor or transport closing) is no verdict on the message:
      // it stays unsettled, keeps its key, and the broker redelivers it.
      entry.state = nextState(entry.state, E.ABANDON);
      this.report.abandoned(entry);
    } else {
      entry.state = nextState(entry.state, E.FAIL);
      this.report.failed(entry, err);
      this.recover(entry, err);
    }
    this.pump();
  }

  /** Apply the failure path's verdict: retry (in place or handed to the broker), or dead-letter. */
  private recover(entry: Entry, err: unknown): void {
    const step = this.failures.judge(entry, err);
    if (step.kind === 'dead-letter') {
      entry.state = nextState(entry.state, E.DEAD_LETTER);
      return this.deadLetter(entry, step.error, step.reason);
    }
    entry.state = nextState(entry.state, E.SCHEDULE);
    this.report.retryScheduled(entry, err, step.delayMs, step.mode);
    void this.failures.retry(entry, step.delayMs, step.mode).then((result) => {
      if (result === 'handed-off') this.settle(entry, 'ack', true);
      else if (result === 'due' && this.mode.running) {
        entry.retries++;
        this.entries.scheduler.retry(entry);
      }
      this.pump();
    });
  }

  /** Dead-letter, then settle as `term`; until the copy is confirmed the entry stays unsettled. */
  private deadLetter(entry: Entry, err: unknown, reason: DeadLetterReason): void {
    void this.failures.deadLetter(entry, err, reason).then((result) => {
      if (result.kind === 'confirmed') {
        this.report.deadLettered(entry, err, reason, result.topic);
        this.settle(entry, 'term');
      }
      this.pump();
    });
  }

  /**
   * The entry is done with: succeeded, dead-lettered (`term`), or handed to
   * the broker's delay (`handedOff`: the broker redelivers it, so no ack).
   */
  private settle(entry: Entry, outcome: 'ack' | 'term', handedOff = false): void {
    this.entries.settle(entry);
    this.admission.release(1);
    if (this.offsetModel || !handedOff) this.settlement.settled(entry.rec, outcome);
    // The window shrank: a lane paused by backpressure may resume.
    if (this.mode.paused) this.checkPressure();
  }

  /** Pause the flow while the lane holds too much (see `LaneEntries.pressure`); resume at half. */
  private checkPressure(): void {
    if (!this.mode.running) return;
    const p = this.pressure();
    if (p === 'under') {
      if (this.mode.paused) this.mode.send({ type: 'RESUME' });
    } else if (p !== undefined && !this.mode.paused) this.mode.send({ type: 'PAUSE', reason: p });
  }

  /** The lane's window (see `LaneEntries.pressure`); records kept aside by the app's budget count as a full one. */
  private pressure(): ReturnType<LaneEntries['pressure']> {
    if (this.admission.heldBack > 0) return 'buffered messages';
    const executorFull = this.workers?.saturated() ?? false;
    return this.entries.pressure(this.ctx.maxBufferedMessages, this.ctx.maxBufferedBytes, executorFull);
  }

  /**
   * The operator's pause (`app.pauseLane`): the broker side pauses, attempts
   * running finish, nothing new starts; only {@link release} lifts it.
   */
  hold(): void {
    this.mode.send({ type: 'PAUSE', reason: 'operator' });
  }

  /** The operator's resume: the flow opens unless the window is full (then backpressure keeps it paused). */
  release(): void {
    if (!this.mode.held) return;
    const p = this.pressure();
    this.mode.send(
      p === 'under' || p === undefined ? { type: 'OPERATOR_RESUME' } : { type: 'OPERATOR_RESUME', pressure: p },
    );
    this.pump();
  }

  private checkIdle(): void {
    const { inFlight } = this.report.counters;
    const f = this.failures;
    const ready = this.entries.scheduler.readyCount;
    if (inFlight === 0 && ready === 0 && f.backingOff === 0 && this.mode.fetch === 'fetching')
      this.mode.send({ type: 'IDLE' });
    if (this.onQuiet !== undefined && inFlight === 0 && f.pending === 0) this.onQuiet();
  }

  /**
   * Stop taking work, let in-flight messages finish (aborting them at the
   * deadline), make the final commit or acks, then stop. Idempotent.
   */
  drain(timeoutMs: number): Promise<void> {
    return (this.drained ??= this.runDrain(timeoutMs));
  }

  private async runDrain(timeoutMs: number): Promise<void> {
    const deadline = this.ctx.clock.now() + timeoutMs;
    this.mode.send({ type: 'DRAIN' });
    this.entries.scheduler.clear();
    // Records kept aside are dropped (never admitted, never settled: redelivered); the budget gets back what the lane holds.
    this.admission.close();
    await new Promise<void>((resolve) => {
      const timer = this.ctx.clock.setTimeout(resolve, timeoutMs);
      this.onQuiet = () => {
        this.ctx.clock.clearTimeout(timer);
        resolve();
      };
      this.checkIdle();
    });
    this.onQuiet = undefined;
    const counters = this.report.counters;
    if (counters.inFlight > 0) {
      const err = new TimeoutError(
        `drain: handler "${this.ctx.handler.name}" still running after ${timeoutMs} ms; aborted`,
      );
      this.entries.abortRunning(err);
      this.workers?.abandon();
      counters.inFlight = 0;
    }
    this.clearTimers();
    await this.settlement.finish(Math.max(0, deadline - this.ctx.clock.now()));
    this.mode.send({ type: 'DRAINED' });
    this.clearTimers();
    this.mode.stop();
    this.report.close();
  }

  /** Nothing of this lane may keep the process alive after the drain: backoff, dead-letter and timeout timers. */
  private clearTimers(): void {
    this.failures.cancel();
    this.deadlines.clear();
  }

  snapshot(): LaneSnapshot {
    return this.report.snapshot(
      this.mode.value,
      this.mode.value.flow === 'paused' ? this.mode.pauseReason : undefined,
      {
        buffered: this.entries.scheduler.waitingCount() + this.admission.heldBack,
        committed: this.settlement.committedOffset,
        lag: this.entries.unsettled,
      },
    );
  }
}
