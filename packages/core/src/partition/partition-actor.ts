import { decodeWith } from '../codec/codec.js';
import { TimeoutError } from '../errors/partita-error.js';
import type { TimerHandle } from '../clock/clock.js';
import type { DeadLetterReason, LaneRef, LaneSnapshot } from '../app/app-types.js';
import type { InboundRecord, LaneHandle, LaneSink } from '../transport/transport.js';
import { backoffDelay, cappedBackoff } from '../retry/backoff.js';
import { judgeFailure } from '../retry/judge-failure.js';
import { MAX_DEAD_LETTER_TRIM, deadLetterRecord } from '../dead-letter/dead-letter-record.js';
import { RETRY_HEADERS } from '../retry/retry-headers.js';
import { retryCopy } from '../retry/retry-copy.js';
import { Entry } from './entry.js';
import { HandlerCtx, InboundMessage } from './inbound-message.js';
import { KeyScheduler } from './key-scheduler.js';
import type { LaneContext } from './lane-context.js';
import { LaneMode } from './lane-mode.js';
import { createLaneSettlement, type LaneSettlement } from './lane-settlement.js';
import { E, S, nextState } from './message-lifecycle.js';
import { isShutdownClosure } from './shutdown-closure.js';
import { Watermark, parseSettledOffsets } from './watermark.js';
import { TurnClock } from './turn-clock.js';
import { WorkerDispatch } from './worker-dispatch.js';

/**
 * One actor per (group, topic, partition) lane. Its xstate machine owns the
 * lane's mode (running, paused, blocked, draining, stopped); per-message
 * bookkeeping lives in plain structures (scheduler, watermark, entries).
 */
export class PartitionActor implements LaneSink {
  readonly ref: LaneRef;
  private readonly mode: LaneMode;
  private readonly settlement: LaneSettlement;
  private readonly turn: TurnClock;
  private readonly offsetModel: boolean;
  private readonly scheduler = new KeyScheduler();
  /** Unsettled entries in arrival order: the commit watermark (offset model) and the timeout scan. */
  private readonly watermark: Watermark;
  private readonly skip: Set<number>;
  private readonly workers: WorkerDispatch | undefined;
  private timeoutTimer: TimerHandle | undefined;
  /** When `timeoutTimer` fires: the earliest deadline it was armed for. */
  private timeoutAt = Infinity;
  /** Timers of dead-letter publishes waiting to be tried again; cleared by the drain. */
  private readonly retryTimers = new Set<TimerHandle>();
  private seq = 0;
  inFlight = 0;
  private unsettled = 0;
  private backingOff = 0;
  private pendingDeadLetters = 0;
  private pumping = false;
  private pumpAgain = false;
  private paused = false;
  private pauseReason = '';
  private blockedBy = new Set<string>();
  private draining = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private readonly stats = { received: 0, succeeded: 0, failed: 0, retried: 0, deadLettered: 0 };

  constructor(
    private readonly lane: LaneHandle,
    private readonly ctx: LaneContext,
  ) {
    const h = ctx.handler;
    this.ref = { handler: h.name, group: lane.id.group, topic: lane.id.topic, partition: lane.id.partition };
    this.offsetModel = lane.ackModel === 'offset';
    this.watermark = new Watermark();
    this.skip = lane.ackModel === 'offset' ? parseSettledOffsets(lane.committedMetadata) : new Set();
    this.workers = h.worker !== undefined && ctx.executor ? new WorkerDispatch(this, ctx) : undefined;
    this.turn = new TurnClock(ctx.clock);
    this.settlement = createLaneSettlement(lane, ctx, this.watermark, {
      ref: this.ref,
      hasReceived: () => this.stats.received > 0,
      block: (reason, err) => this.block(reason, err),
      unblock: (reason) => this.unblock(reason),
      commitState: (state) => {
        if (this.mode.fetch !== undefined) this.mode.send(state === 'committing' ? 'COMMIT' : 'COMMITTED');
      },
      checkIdle: () => this.checkIdle(),
    });
    this.mode = new LaneMode((from, to, fromValue, toValue) => {
      if (this.ctx.events.has('lane.state-changed') && JSON.stringify(fromValue) !== JSON.stringify(toValue)) {
        this.ctx.events.emit('lane.state-changed', { lane: this.ref, from, to, fromValue, toValue });
      }
    });
    this.mode.send('STARTED');
  }

  // ---- LaneSink ----------------------------------------------------------

  deliver(records: readonly InboundRecord[]): void {
    if (this.draining || this.stopped || records.length === 0) return;
    const keyed = this.ctx.handler.ordering;
    for (let i = 0; i < records.length; i++) {
      const rec = records[i]!;
      const key = keyed === 'key' ? rec.key : keyed === 'partition' ? '' : undefined;
      const bytes = rec.value === null ? 0 : rec.value.byteLength;
      const entry = new Entry(rec, this.offsetModel ? -1 : this.seq++, bytes, key, 0);
      this.watermark.track(entry);
      this.unsettled++;
      // Settled before a restart (commit metadata), or a retry copy meant for another group: not handled here.
      const target = rec.headers[RETRY_HEADERS.targetGroup];
      if ((this.skip.size > 0 && this.skip.delete(entry.off)) || (target !== undefined && target !== this.ref.group)) {
        entry.state = nextState(entry.state, E.SKIP);
        this.watermark.settled(entry);
        this.unsettled--;
        this.watermark.advance();
        this.settlement.settled(rec, 'ack');
        continue;
      }
      this.scheduler.add(entry);
    }
    this.stats.received += records.length;
    this.ctx.metrics.consumed += records.length;
    if (this.ctx.events.has('message.received'))
      this.ctx.events.emit('message.received', { lane: this.ref, count: records.length });
    if (this.mode.fetch === 'waiting') this.mode.send('RECORDS');
    this.pump();
  }

  // ---- dispatch ----------------------------------------------------------

  /** Dispatch ready entries while capacity allows. Re-entrant calls are folded into one loop. */
  pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        if (this.draining || this.stopped) break;
        const max = this.ctx.handler.maxInFlight;
        if (this.workers) this.workers.dispatch(max - this.inFlight);
        else {
          while (this.inFlight < max) {
            const entry = this.scheduler.next();
            if (entry === undefined) break;
            this.dispatchInline(entry);
          }
        }
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
    this.checkPressure();
    this.checkIdle();
  }

  /** Take the next ready entry for a worker batch (marks it dispatched). */
  takeForWorker(): Entry | undefined {
    const entry = this.scheduler.next();
    if (entry !== undefined) this.beginDispatch(entry);
    return entry;
  }

  private beginDispatch(entry: Entry): void {
    entry.deadline = Infinity;
    entry.state = nextState(entry.state, E.DISPATCH);
    entry.gen++;
    entry.attemptCtx = undefined;
    entry.startedAt = this.turn.now();
    this.inFlight++;
    this.ctx.metrics.inFlight++;
  }

  private dispatchInline(entry: Entry): void {
    if (!entry.decoded) {
      try {
        entry.value = entry.rec.value === null ? null : decodeWith(this.ctx.codec, entry.rec.value);
        entry.decoded = true;
      } catch (err) {
        entry.state = nextState(entry.state, E.DEAD_LETTER);
        this.stats.failed++;
        this.ctx.metrics.failed++;
        this.deadLetter(entry, err, 'decode');
        return;
      }
    }
    this.beginDispatch(entry);
    const gen = entry.gen;
    entry.deadline = entry.startedAt + this.ctx.handler.timeoutMs;
    this.armTimeout(entry.deadline);
    const msg = this.message(entry);
    const attemptCtx = new HandlerCtx(this, entry, this.ctx);
    entry.attemptCtx = attemptCtx;
    let result: unknown;
    try {
      result = this.ctx.handle!(msg, attemptCtx);
    } catch (err) {
      this.complete(entry, gen, false, err);
      return;
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as PromiseLike<unknown>).then(
        () => this.complete(entry, gen, true, undefined),
        (err: unknown) => this.complete(entry, gen, false, err),
      );
    } else this.complete(entry, gen, true, undefined);
  }

  message(entry: Entry): InboundMessage {
    return new InboundMessage(this.ref, entry);
  }

  // ---- timeouts ----------------------------------------------------------
  // One timer per lane, armed for the earliest deadline of the entries in
  // flight; a new deadline earlier than the armed one re-arms it.

  private armTimeout(deadline: number): void {
    if (deadline >= this.timeoutAt || deadline === Infinity) return;
    if (this.timeoutTimer !== undefined) this.ctx.clock.clearTimeout(this.timeoutTimer);
    this.timeoutAt = deadline;
    this.timeoutTimer = this.ctx.clock.setTimeout(
      () => this.onTimeoutTimer(),
      Math.max(0, deadline - this.ctx.clock.now()),
    );
  }

  private onTimeoutTimer(): void {
    this.timeoutTimer = undefined;
    this.timeoutAt = Infinity;
    if (this.stopped) return;
    const now = this.ctx.clock.now();
    const expired: Entry[] = [];
    this.watermark.forEach((entry) => {
      if (entry.state === S.dispatched && entry.deadline <= now) expired.push(entry);
    });
    for (const entry of expired) {
      const err = new TimeoutError(
        `handler "${this.ctx.handler.name}" did not finish within ${this.ctx.handler.timeoutMs} ms`,
      );
      entry.attemptCtx?.abort(err);
      this.complete(entry, entry.gen, false, err);
    }
    // Completions may have dispatched new work (arming for its deadline); the earliest still-running deadline wins.
    let next = Infinity;
    this.watermark.forEach((entry) => {
      if (entry.state === S.dispatched && entry.deadline < next) next = entry.deadline;
    });
    this.armTimeout(next);
  }

  // ---- outcomes ----------------------------------------------------------

  /** A dispatched entry finished; stale completions (timed out, re-dispatched, drained) are ignored. */
  complete(entry: Entry, gen: number, ok: boolean, err: unknown): void {
    if (entry.gen !== gen || entry.state !== S.dispatched) return;
    this.inFlight--;
    this.ctx.metrics.inFlight--;
    const durationMs = this.turn.now() - entry.startedAt;
    this.ctx.metrics.observeDuration(durationMs);
    if (!ok && isShutdownClosure(err)) {
      // The runtime's own shutdown (app, executor or transport closing) is no verdict on the message:
      // it stays unsettled, keeps its key, and the broker redelivers it.
      entry.state = nextState(entry.state, E.ABANDON);
      this.ctx.logger.warn('attempt ended by shutdown; the message stays unsettled and will be redelivered', {
        handler: this.ctx.handler.name,
        topic: this.ref.topic,
        partition: this.ref.partition,
        offset: entry.rec.offset,
      });
    } else if (ok) {
      entry.state = nextState(entry.state, E.SUCCEED);
      this.stats.succeeded++;
      this.ctx.metrics.succeeded++;
      if (this.ctx.events.has('message.succeeded'))
        this.ctx.events.emit('message.succeeded', { message: this.message(entry), durationMs });
      this.settle(entry, 'ack');
    } else {
      entry.state = nextState(entry.state, E.FAIL);
      this.fail(entry, err);
    }
    this.pump();
  }

  private fail(entry: Entry, err: unknown): void {
    this.stats.failed++;
    this.ctx.metrics.failed++;
    if (this.ctx.events.has('message.failed'))
      this.ctx.events.emit('message.failed', { message: this.message(entry), error: err });
    const verdict = judgeFailure(err, entry.attempt, this.ctx.handler.retry);
    if (!verdict.retry) {
      entry.state = nextState(entry.state, E.DEAD_LETTER);
      return this.deadLetter(entry, verdict.error, verdict.reason);
    }
    entry.state = nextState(entry.state, E.SCHEDULE);
    const retry = this.ctx.handler.retry;
    const delayMs = backoffDelay(retry.backoff, entry.attempt, this.ctx.random);
    this.stats.retried++;
    this.ctx.metrics.retried++;
    const delayed = retry.mode === 'delayed' && this.ctx.transport.capabilities.nativeDelay;
    if (this.ctx.events.has('message.retry-scheduled')) {
      this.ctx.events.emit('message.retry-scheduled', {
        message: this.message(entry),
        error: err,
        delayMs,
        mode: delayed ? 'delayed' : 'blocking',
      });
    }
    if (delayed) this.retryDelayed(entry, delayMs);
    else this.retryBlocking(entry, delayMs);
  }

  private retryBlocking(entry: Entry, delayMs: number): void {
    this.backingOff++;
    if (this.ctx.handler.ordering === 'partition' && this.mode.fetch !== undefined) this.mode.send('BACK_OFF');
    entry.timer = this.ctx.clock.setTimeout(() => {
      entry.timer = undefined;
      this.backingOff--;
      if (this.draining || this.stopped) return this.checkIdle();
      entry.attempt++;
      if (this.mode.fetch === 'backingOff') this.mode.send('RETRY_DUE');
      this.scheduler.retry(entry);
      this.pump();
    }, delayMs);
  }

  /** Hand the retry to the broker's delay, then settle the original. Falls back to blocking on failure. */
  private retryDelayed(entry: Entry, delayMs: number): void {
    this.settlement.hold();
    const done = (): void => {
      this.settlement.release();
      this.settle(entry, 'ack', true);
      this.pump();
    };
    const fallBack = (err: unknown): void => {
      this.settlement.release();
      this.ctx.metrics.retryHandoffFailures++;
      this.ctx.logger.warn('delayed retry hand-off failed; retrying in place', {
        handler: this.ctx.handler.name,
        error: err,
      });
      if (this.ctx.events.has('message.retry-handoff-failed')) {
        this.ctx.events.emit('message.retry-handoff-failed', { message: this.message(entry), error: err, delayMs });
      }
      this.retryBlocking(entry, delayMs);
    };
    if (this.lane.ackModel === 'message') {
      this.lane.nack(entry.rec, delayMs).then(done, fallBack);
      return;
    }
    // Offset model: a copy carries the next attempt number; the original is then committed.
    const copy = retryCopy({
      topic: this.ctx.handler.topic,
      lane: this.lane.id,
      record: entry.rec,
      nextAttempt: entry.attempt + 1,
      delayMs,
    });
    this.ctx.transport.publish([copy]).then(done, fallBack);
  }

  /**
   * Publish the dead-letter copy, then settle. A failing publish blocks the
   * lane and is tried again with backoff, never skipped; a copy the broker
   * refuses as too large is tried again with less of what partita added.
   */
  private deadLetter(entry: Entry, err: unknown, reason: DeadLetterReason, tries = 0, trim = 0): void {
    const dlq = this.ctx.dlqTopic;
    const done = (): void => {
      this.stats.deadLettered++;
      this.ctx.metrics.countDeadLetter(reason);
      if (this.ctx.events.has('message.dead-lettered')) {
        this.ctx.events.emit('message.dead-lettered', {
          message: this.message(entry),
          error: err,
          reason,
          deadLetterTopic: dlq,
        });
      }
      this.settle(entry, 'term');
    };
    if (dlq === null) {
      this.ctx.logger.warn('message dropped after failure (dead-lettering disabled)', {
        handler: this.ctx.handler.name,
        topic: this.ref.topic,
        offset: entry.rec.offset,
        reason,
      });
      return done();
    }
    const record = deadLetterRecord({
      dlqTopic: dlq,
      lane: { ...this.lane.id, topic: this.ctx.handler.topic },
      record: entry.rec,
      attempts: entry.attempt,
      error: err,
      reason,
      handler: this.ctx.handler.name,
      now: this.ctx.clock.now(),
      trim,
    });
    this.pendingDeadLetters++;
    this.ctx.transport.publish([record]).then(
      () => {
        this.pendingDeadLetters--;
        this.unblock('dead-letter');
        done();
        this.pump();
      },
      (publishErr: unknown) => {
        this.pendingDeadLetters--;
        if (this.stopped) return;
        if (isTooLarge(publishErr) && trim < MAX_DEAD_LETTER_TRIM) {
          this.ctx.logger.warn('dead-letter copy refused as too large; trying again with trimmed partita headers', {
            handler: this.ctx.handler.name,
            topic: this.ref.topic,
            offset: entry.rec.offset,
            trim: trim + 1,
          });
          return this.deadLetter(entry, err, reason, tries, trim + 1);
        }
        this.block('dead-letter', publishErr);
        this.pendingDeadLetters++;
        const timer = this.ctx.clock.setTimeout(() => {
          this.retryTimers.delete(timer);
          this.pendingDeadLetters--;
          if (!this.stopped) this.deadLetter(entry, err, reason, tries + 1, trim);
          else this.checkIdle();
        }, cappedBackoff(tries));
        this.retryTimers.add(timer);
      },
    );
  }

  // ---- settle ------------------------------------------------------------

  /**
   * The entry is done with: succeeded, dead-lettered (`term`), or handed to
   * the broker's delay (`handedOff`: the broker redelivers it, so no ack).
   */
  private settle(entry: Entry, outcome: 'ack' | 'term', handedOff = false): void {
    if (entry.state !== S.settled) entry.state = nextState(entry.state, E.SETTLE);
    this.release(entry);
    this.watermark.settled(entry);
    this.watermark.advance();
    if (!this.offsetModel) this.watermark.dropSettled();
    if (this.offsetModel || !handedOff) this.settlement.settled(entry.rec, outcome);
  }

  /** Bookkeeping common to every way an entry leaves the lane. */
  private release(entry: Entry): void {
    this.scheduler.release(entry);
    this.unsettled--;
    entry.value = undefined;
    entry.attemptCtx = undefined;
  }

  // ---- backpressure and blocking ----------------------------------------

  /**
   * Pause fetching while the lane holds too much: counted over the whole
   * watermark window (unsettled entries and settled ones held above them, as
   * behind a stuck dead-letter publish), in entries and bytes, or while the
   * executor's queue is full. Resume below half of both.
   */
  private checkPressure(): void {
    if (this.draining || this.stopped) return;
    const hw = this.ctx.maxBufferedMessages;
    const maxBytes = this.ctx.maxBufferedBytes;
    const held = this.watermark.length;
    const bytes = this.watermark.bytes;
    const executorFull = this.workers?.saturated() ?? false;
    const over = held >= hw || bytes >= maxBytes || executorFull;
    const under = held <= hw / 2 && bytes <= maxBytes / 2 && !executorFull;
    if (!this.paused && over) {
      this.paused = true;
      this.pauseReason = executorFull
        ? 'executor queue full'
        : bytes >= maxBytes
          ? 'buffered bytes'
          : 'buffered messages';
      this.lane.pause();
      if (this.mode.top === 'running') this.mode.send('PAUSE');
      if (this.ctx.events.has('lane.paused'))
        this.ctx.events.emit('lane.paused', { lane: this.ref, reason: this.pauseReason });
    } else if (this.paused && under) {
      this.paused = false;
      this.lane.resume();
      if (this.mode.top === 'paused') this.mode.send('RESUME');
      this.reenterFetch();
      if (this.ctx.events.has('lane.resumed')) this.ctx.events.emit('lane.resumed', { lane: this.ref });
    }
  }

  private block(reason: string, err: unknown): void {
    if (this.blockedBy.has(reason)) return;
    this.blockedBy.add(reason);
    this.ctx.logger.error(`lane blocked: ${reason} keeps failing`, {
      handler: this.ctx.handler.name,
      topic: this.ref.topic,
      partition: this.ref.partition,
      error: err,
    });
    if (this.mode.top === 'running' || this.mode.top === 'paused') this.mode.send('BLOCK');
  }

  private unblock(reason: string): void {
    if (!this.blockedBy.delete(reason) || this.blockedBy.size > 0) return;
    if (this.mode.top === 'blocked') {
      this.mode.send('UNBLOCK');
      if (this.paused) this.mode.send('PAUSE');
      else this.reenterFetch();
    }
  }

  /** Back in `running` (it restarts at `fetch.waiting`): say so if there is still work. */
  private reenterFetch(): void {
    if (this.mode.fetch === 'waiting' && (this.inFlight > 0 || this.scheduler.waitingCount() > 0))
      this.mode.send('RECORDS');
  }

  get isBlocked(): boolean {
    return this.blockedBy.size > 0;
  }

  // ---- drain -------------------------------------------------------------

  private checkIdle(): void {
    if (
      this.inFlight === 0 &&
      this.scheduler.readyCount === 0 &&
      this.backingOff === 0 &&
      this.mode.fetch === 'fetching'
    )
      this.mode.send('IDLE');
    if (this.idleWaiters.length > 0 && this.isQuiet()) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private isQuiet(): boolean {
    return this.inFlight === 0 && this.pendingDeadLetters === 0 && !this.settlement.busy;
  }

  /**
   * Stop taking work, let in-flight messages finish (aborting them at the
   * deadline), make the final commit or acks, then stop. Idempotent.
   */
  drain(timeoutMs: number): Promise<void> {
    return (this.drained ??= this.runDrain(timeoutMs));
  }
  private drained: Promise<void> | undefined;

  private async runDrain(timeoutMs: number): Promise<void> {
    const deadline = this.ctx.clock.now() + timeoutMs;
    this.draining = true;
    this.mode.send('DRAIN');
    this.lane.pause();
    this.scheduler.clear();
    await new Promise<void>((resolve) => {
      if (this.isQuiet()) return resolve();
      const timer = this.ctx.clock.setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== onIdle);
        resolve();
      }, timeoutMs);
      const onIdle = (): void => {
        this.ctx.clock.clearTimeout(timer);
        resolve();
      };
      this.idleWaiters.push(onIdle);
    });
    if (this.inFlight > 0) {
      const err = new TimeoutError(
        `drain: handler "${this.ctx.handler.name}" still running after ${timeoutMs} ms; aborted`,
      );
      this.watermark.forEach((entry) => {
        if (entry.state === S.dispatched) {
          entry.gen++;
          entry.attemptCtx?.abort(err);
        }
      });
      this.workers?.abandon();
      this.ctx.metrics.inFlight -= this.inFlight;
      this.inFlight = 0;
    }
    this.clearTimers();
    await this.settlement.finish(Math.max(0, deadline - this.ctx.clock.now()));
    this.stopped = true;
    this.clearTimers();
    this.mode.send('DRAINED');
    this.mode.stop();
  }

  /** Nothing of this lane may keep the process alive after the drain: backoff, dead-letter and timeout timers. */
  private clearTimers(): void {
    this.watermark.forEach((entry) => {
      if (entry.timer === undefined) return;
      this.ctx.clock.clearTimeout(entry.timer);
      entry.timer = undefined;
      this.backingOff--;
    });
    for (const timer of this.retryTimers) {
      this.ctx.clock.clearTimeout(timer);
      this.pendingDeadLetters--;
    }
    this.retryTimers.clear();
    if (this.timeoutTimer !== undefined) this.ctx.clock.clearTimeout(this.timeoutTimer);
    this.timeoutTimer = undefined;
    this.timeoutAt = Infinity;
  }

  // ---- inspect -----------------------------------------------------------

  snapshot(): LaneSnapshot {
    return {
      ...this.ref,
      state: this.mode.name(),
      machine: this.mode.value,
      inFlight: this.inFlight,
      buffered: this.scheduler.waitingCount(),
      committed: this.offsetModel ? this.settlement.committedOffset : undefined,
      lag: this.unsettled,
      ...this.stats,
    };
  }
}

const isTooLarge = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 'ERR_MESSAGE_TOO_LARGE';
