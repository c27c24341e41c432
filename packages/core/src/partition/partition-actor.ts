import type { DeadLetterReason, LaneRef, LaneSnapshot } from '../app/app-types.js';
import type { InboundRecord, LaneHandle, LaneSink } from '../transport/transport.js';
import { LaneAttemptHook } from '../instrumentation/lane-attempt-hook.js';
import { LaneAdmission } from './admission.js';
import { AttemptDeadlines } from './attempt-deadlines.js';
import type { Entry } from './entry.js';
import { FailurePath } from './failure-path.js';
import { invokeHandler, isThenable } from './invoke-handler.js';
import { LaneDrain } from './lane-drain.js';
import { LaneEntries } from './lane-entries.js';
import { LaneFlow } from './lane-flow.js';
import type { LaneContext } from './lane-context.js';
import { LaneMode } from './lane-mode.js';
import { LaneReport } from './lane-report.js';
import { createLaneSettlement, type LaneSettlement } from './lane-settlement.js';
import { E, S, nextState } from './message-lifecycle.js';
import { isShutdownClosure } from './shutdown-closure.js';
import { TurnClock } from './turn-clock.js';
import { parseSettledOffsets } from './watermark.js';
import { WorkerDispatch } from './worker-dispatch.js';

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
  private readonly hook: LaneAttemptHook | undefined;
  private pumping = false;
  private pumpAgain = false;
  private readonly flow: LaneFlow;
  private readonly drainer: LaneDrain;

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
        if (from.health === 'blocked' && to.health === 'ok') this.flow.check();
      },
    });
    this.turn = new TurnClock(ctx.clock);
    this.hook = ctx.attemptHook && new LaneAttemptHook(ctx.attemptHook, this.ref, ctx.transport.name, ctx.logger);
    this.workers =
      h.worker !== undefined && ctx.executor
        ? new WorkerDispatch(this.ref, ctx, () => this.pump(), this.hook)
        : undefined;
    this.failures = new FailurePath(lane, this.ref, ctx, this.mode, this.report);
    const watermark = this.entries.watermark;
    this.deadlines = new AttemptDeadlines(ctx.clock, this.turn.origin, watermark, h.timeoutMs, h.name, (entry, err) =>
      this.failed(entry, entry.gen, err),
    );
    this.settlement = createLaneSettlement(lane, ctx, watermark, this.mode, this.report);
    this.flow = new LaneFlow(ctx, this.mode, this.entries, this.admission, this.workers);
    const { mode, entries, admission, report, settlement, failures, deadlines, workers, hook } = this;
    const parts = { ctx, mode, entries, admission, report, settlement, failures, deadlines, workers, hook };
    this.drainer = new LaneDrain(parts);
  }

  deliver(records: readonly InboundRecord[]): void {
    if (!this.mode.running || records.length === 0) return;
    this.report.received(records.length);
    if (this.mode.fetch === 'waiting') this.mode.send({ type: 'RECORDS' });
    // What the app's budget has no room for waits aside (and the lane pauses): see `AppAdmission`.
    this.admission.offer(records);
    if (this.admission.heldBack > 0) this.flow.check();
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
    this.flow.check();
    this.drainer.checkIdle();
  }

  private dispatchToWorkers(workers: WorkerDispatch): void {
    for (;;) {
      const room = this.ctx.handler.maxInFlight - this.report.counters.inFlight;
      const batch = workers.take(this.entries, room, this.turn.elapsed());
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
    this.drainer.checkIdle();
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
    try {
      return invokeHandler(entry, this.ctx.handle!, this.hook);
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
    // An inline attempt's instrumentation scope ends with the outcome the lane took.
    this.hook?.endHeld(entry, undefined);
    entry.state = nextState(entry.state, E.SUCCEED);
    this.report.succeeded(entry, durationMs);
    this.settle(entry, 'ack');
  }

  private failed(entry: Entry, gen: number, err: unknown): void {
    if (this.end(entry, gen) < 0) return;
    this.hook?.endHeld(entry, err);
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
    if (this.mode.paused) this.flow.check();
  }

  /**
   * The operator's pause (`app.pauseLane`): the broker side pauses, attempts
   * running finish, nothing new starts; only {@link release} lifts it.
   */
  hold(): void {
    this.flow.hold();
  }

  /** The operator's resume: the flow opens unless the window is full (then backpressure keeps it paused). */
  release(): void {
    if (this.flow.release()) this.pump();
  }

  /**
   * Stop taking work, let in-flight messages finish (aborting them at the
   * deadline), make the final commit or acks, then stop. Idempotent.
   */
  drain(timeoutMs: number): Promise<void> {
    return this.drainer.drain(timeoutMs);
  }

  snapshot(): LaneSnapshot {
    const { value, pauseReason } = this.mode;
    const buffered = this.entries.scheduler.waitingCount() + this.admission.heldBack;
    const counts = { buffered, committed: this.settlement.committedOffset, lag: this.entries.unsettled };
    return this.report.snapshot(value, value.flow === 'paused' ? pauseReason : undefined, counts);
  }
}
