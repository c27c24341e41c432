import type { DeadLetterReason, LaneRef } from '../app/app-types.js';
import type { TimerHandle } from '../clock/clock.js';
import { MAX_DEAD_LETTER_TRIM, deadLetterRecord } from '../dead-letter/dead-letter-record.js';
import { backoffDelay, cappedBackoff } from '../retry/backoff.js';
import { judgeFailure } from '../retry/judge-failure.js';
import { retryCopy } from '../retry/retry-copy.js';
import type { LaneHandle } from '../transport/transport.js';
import type { Entry } from './entry.js';
import type { LaneContext } from './lane-context.js';
import type { LaneMode } from './lane-mode.js';
import type { LaneReport } from './lane-report.js';

/** What to do with a failed attempt. */
export type FailureStep =
  /** Try again after `delayMs`: in place (`blocking`), or handed to the broker's delay (`delayed`). */
  | { readonly kind: 'retry'; readonly delayMs: number; readonly mode: 'blocking' | 'delayed' }
  /** Give up: publish a dead-letter copy recording `error` and `reason`, then settle. */
  | { readonly kind: 'dead-letter'; readonly error: unknown; readonly reason: DeadLetterReason };

/** How a retry ended. */
export type RetryResult =
  /** The broker holds the retry: settle the original (the broker redelivers it). */
  | 'handed-off'
  /** The backoff is over: dispatch the entry again. */
  | 'due'
  /** The drain ended the wait: leave the entry unsettled. */
  | 'cancelled';

/** How a dead-letter ended. */
export type DeadLetterResult =
  /** The copy is confirmed (or dead-lettering is disabled: `topic` null): settle the entry as `term`. */
  | { readonly kind: 'confirmed'; readonly topic: string | null }
  /** The drain ended the tries: leave the entry unsettled. */
  | { readonly kind: 'cancelled' };

/**
 * The failure path of a lane, as a unit that returns what became of a failed
 * message rather than calling back into the actor: the retry policy's verdict
 * (`judge`), the retry (in place, or handed to the broker's delay with a
 * fallback to in place), and the dead-letter publish, tried again with backoff
 * and never skipped. It records what it does in the lane machine (`fetch`
 * backing off under partition ordering; `health` blocked by `dead-letter`).
 */
export class FailurePath {
  /** Entries backing off before a retry in place. */
  backingOff = 0;
  /** Broker calls and waits under way (hand-offs, dead-letter publishes and their backoffs). */
  pending = 0;
  private readonly timers = new Map<TimerHandle, (due: boolean) => void>();

  constructor(
    private readonly lane: LaneHandle,
    private readonly ref: LaneRef,
    private readonly ctx: LaneContext,
    private readonly mode: LaneMode,
    private readonly report: LaneReport,
  ) {}

  /** The verdict on attempt `entry.attemptNo` failing with `err`. */
  judge(entry: Entry, err: unknown): FailureStep {
    const retry = this.ctx.handler.retry;
    const verdict = judgeFailure(err, entry.attemptNo, retry);
    if (!verdict.retry) return { kind: 'dead-letter', error: verdict.error, reason: verdict.reason };
    const delayMs = backoffDelay(retry.backoff, entry.attemptNo, this.ctx.random);
    const delayed = retry.mode === 'delayed' && this.ctx.transport.capabilities.nativeDelay;
    return { kind: 'retry', delayMs, mode: delayed ? 'delayed' : 'blocking' };
  }

  /**
   * Retry after `delayMs`. Delayed: hand it to the broker (message model,
   * `nack(delay)`; offset model, a copy carrying the next attempt number, the
   * original then committed); a refused hand-off is retried in place.
   */
  async retry(entry: Entry, delayMs: number, mode: 'blocking' | 'delayed'): Promise<RetryResult> {
    if (mode === 'delayed') {
      this.pending++;
      try {
        await this.handOff(entry, delayMs);
        return 'handed-off';
      } catch (error) {
        this.report.handOffFailed(entry, error, delayMs);
      } finally {
        this.pending--;
      }
    }
    this.backingOff++;
    this.mode.send({ type: 'BACK_OFF' });
    const due = await this.sleep(delayMs);
    this.backingOff--;
    this.mode.send({ type: 'RETRY_DUE' });
    return due ? 'due' : 'cancelled';
  }

  private handOff(entry: Entry, delayMs: number): Promise<unknown> {
    if (this.lane.ackModel === 'message') return this.lane.nack(entry.rec, delayMs);
    const copy = retryCopy({
      topic: this.ctx.handler.topic,
      lane: this.lane.id,
      record: entry.rec,
      nextAttempt: entry.attemptNo + 1,
      delayMs,
    });
    return this.ctx.transport.publish([copy]);
  }

  /**
   * Publish the dead-letter copy until the broker confirms it. A copy refused
   * as too large is published again at once with less of what partita added;
   * any other failure blocks the lane and is tried again with backoff.
   */
  async deadLetter(entry: Entry, error: unknown, reason: DeadLetterReason): Promise<DeadLetterResult> {
    const topic = this.ctx.dlqTopic;
    if (topic === null) {
      this.ctx.logger.warn(
        { ...entry.logFields(), reason, err: error },
        'message dropped after failure (dead-lettering disabled)',
      );
      return { kind: 'confirmed', topic };
    }
    this.pending++;
    try {
      for (let tries = 0, trim = 0; ;) {
        const record = deadLetterRecord({
          dlqTopic: topic,
          lane: { ...this.lane.id, topic: this.ctx.handler.topic },
          record: entry.rec,
          attempts: entry.attemptNo,
          error,
          reason,
          handler: this.ctx.handler.name,
          now: this.ctx.clock.now(),
          trim,
        });
        try {
          await this.ctx.transport.publish([record]);
          this.mode.unblock('dead-letter');
          return { kind: 'confirmed', topic };
        } catch (publishErr) {
          if (isTooLarge(publishErr) && trim < MAX_DEAD_LETTER_TRIM) {
            trim++;
            this.ctx.logger.warn(
              { ...entry.logFields(), trim },
              'dead-letter copy refused as too large; trying again with trimmed partita headers',
            );
            continue;
          }
          if (this.mode.value.life === 'stopped') return { kind: 'cancelled' };
          if (this.mode.block('dead-letter')) this.report.blocked('dead-letter', publishErr);
          if (!(await this.sleep(cappedBackoff(tries++)))) return { kind: 'cancelled' };
        }
      }
    } finally {
      this.pending--;
    }
  }

  /** Wait `ms`: true when the time is up, false when `cancel` ended the wait. */
  private sleep(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = this.ctx.clock.setTimeout(() => {
        this.timers.delete(timer);
        resolve(true);
      }, ms);
      this.timers.set(timer, resolve);
    });
  }

  /** The drain: end every wait (nothing of the lane may keep the process alive). */
  cancel(): void {
    for (const [timer, resolve] of this.timers) {
      this.ctx.clock.clearTimeout(timer);
      resolve(false);
    }
    this.timers.clear();
  }
}

const isTooLarge = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 'ERR_MESSAGE_TOO_LARGE';
