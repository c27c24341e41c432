import type { DeadLetterReason, LaneRef, LaneSnapshot } from '../app/app-types.js';
import { isLevelEnabled } from '../logger/logger.js';
import { LaneCounters } from '../metrics/lane-counters.js';
import type { Entry } from './entry.js';
import { InboundMessage } from './inbound-message.js';
import type { LaneContext } from './lane-context.js';
import type { BlockReason, LaneMachineContext, LaneStateValue, PauseReason } from './lane-machine.js';
import { laneStateName } from './lane-mode.js';

/**
 * What a lane tells the world, in one place: it counts each outcome once (in
 * the lane's counters, which the app's metrics sum) and emits the app event
 * for it, building the payload only when someone listens.
 */
export class LaneReport {
  readonly counters = new LaneCounters();

  constructor(
    private readonly ref: LaneRef,
    private readonly ctx: LaneContext,
  ) {
    ctx.metrics.attach(this.counters);
  }

  /** The lane finished: its totals stay in the app's metrics. */
  close(): void {
    this.ctx.metrics.detach(this.counters);
  }

  received(count: number): void {
    this.counters.received += count;
    if (this.ctx.events.has('message.received')) this.ctx.events.emit('message.received', { lane: this.ref, count });
  }

  /** An attempt ended after `durationMs` (whatever its outcome). */
  ended(durationMs: number): void {
    this.counters.inFlight--;
    this.ctx.metrics.observeDuration(durationMs);
  }

  succeeded(entry: Entry, durationMs: number): void {
    this.counters.succeeded++;
    if (this.ctx.events.has('message.succeeded'))
      this.ctx.events.emit('message.succeeded', { message: this.message(entry), durationMs });
  }

  failed(entry: Entry, error: unknown): void {
    this.counters.failed++;
    if (this.ctx.events.has('message.failed'))
      this.ctx.events.emit('message.failed', { message: this.message(entry), error });
  }

  retryScheduled(entry: Entry, error: unknown, delayMs: number, mode: 'blocking' | 'delayed'): void {
    this.counters.retried++;
    if (isLevelEnabled(this.ctx.logger, 'debug'))
      this.ctx.logger.debug({ ...entry.logFields(), delayMs, mode, err: error }, 'attempt failed; retry scheduled');
    if (this.ctx.events.has('message.retry-scheduled'))
      this.ctx.events.emit('message.retry-scheduled', { message: this.message(entry), error, delayMs, mode });
  }

  handOffFailed(entry: Entry, error: unknown, delayMs: number): void {
    this.counters.retryHandoffFailures++;
    this.ctx.logger.warn(
      { ...entry.logFields(), delayMs, err: error },
      'delayed retry hand-off failed; retrying in place',
    );
    if (this.ctx.events.has('message.retry-handoff-failed'))
      this.ctx.events.emit('message.retry-handoff-failed', { message: this.message(entry), error, delayMs });
  }

  deadLettered(entry: Entry, error: unknown, reason: DeadLetterReason, deadLetterTopic: string | null): void {
    this.counters.countDeadLetter(reason);
    if (deadLetterTopic !== null)
      this.ctx.logger.warn({ ...entry.logFields(), reason, deadLetterTopic, err: error }, 'message dead-lettered');
    if (this.ctx.events.has('message.dead-lettered'))
      this.ctx.events.emit('message.dead-lettered', { message: this.message(entry), error, reason, deadLetterTopic });
  }

  /** The attempt was ended by the runtime's own shutdown: no verdict. */
  abandoned(entry: Entry): void {
    this.ctx.logger.warn(
      entry.logFields(),
      'attempt ended by shutdown; the message stays unsettled and will be redelivered',
    );
  }

  /** The lane becomes blocked by `reason` (logged once per reason, not per failed try). */
  blocked(reason: BlockReason, error: unknown): void {
    this.ctx.logger.error({ reason, err: error }, `lane blocked: ${reason} keeps failing`);
  }

  /** The lane machine moved (any region): `lane.paused` / `lane.resumed` for its flow, and `lane.state-changed`. */
  stateChanged(fromValue: LaneStateValue, toValue: LaneStateValue, machine: LaneMachineContext): void {
    const events = this.ctx.events;
    if (fromValue.flow !== toValue.flow) {
      if (toValue.flow === 'paused' && events.has('lane.paused'))
        events.emit('lane.paused', { lane: this.ref, reason: machine.pauseReason! });
      else if (toValue.flow === 'open' && events.has('lane.resumed')) events.emit('lane.resumed', { lane: this.ref });
    }
    if (events.has('lane.state-changed')) {
      const from = laneStateName(fromValue);
      const to = laneStateName(toValue);
      events.emit('lane.state-changed', { lane: this.ref, from, to, fromValue, toValue });
    }
  }

  /** The lane as `inspect()` shows it: its machine's state value and its counters. */
  snapshot(
    machine: LaneStateValue,
    pauseReason: PauseReason | undefined,
    lane: { buffered: number; committed: string | undefined; lag: number },
  ): LaneSnapshot {
    const c = this.counters;
    return {
      ...this.ref,
      state: laneStateName(machine, true),
      machine,
      ...(pauseReason !== undefined ? { pauseReason } : {}),
      inFlight: c.inFlight,
      ...lane,
      received: c.received,
      succeeded: c.succeeded,
      failed: c.failed,
      retried: c.retried,
      deadLettered: c.deadLettered,
    };
  }

  private message(entry: Entry): InboundMessage {
    return new InboundMessage(entry);
  }
}
