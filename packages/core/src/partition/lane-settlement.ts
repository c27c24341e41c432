import type { TimerHandle } from '../clock/clock.js';
import { cappedBackoff } from '../retry/backoff.js';
import type { InboundRecord, LaneHandle } from '../transport/transport.js';
import type { LaneContext } from './lane-context.js';
import type { Watermark } from './watermark.js';

/** What settlement needs from its partition actor. */
export interface SettlementHost {
  readonly ref: { readonly topic: string; readonly partition: number };
  /** Whether the lane received anything (nothing to commit before that). */
  hasReceived(): boolean;
  block(reason: string, err: unknown): void;
  unblock(reason: string): void;
  /** The commit loop region of the lane machine. */
  commitState(state: 'committing' | 'idle'): void;
  /** Called whenever an outstanding settle or commit finished. */
  checkIdle(): void;
}

/**
 * Tells the broker what is done. Offset model: commits the watermark (with
 * the settled offsets above it as metadata), one commit in flight at a time,
 * at most one per event-loop turn; a failing commit is retried with backoff
 * and blocks the lane after three failures. Message model: acknowledges each
 * settled message, batched per turn; dead-lettered ones are terminated at once.
 */
export class LaneSettlement {
  private committed: number | undefined;
  private committedMetadata: string | undefined;
  private committing = false;
  /** The commit in flight, awaited by the drain. */
  private commitDone: Promise<void> = Promise.resolve();
  /** Timer of a failed commit's next try; cleared by `finish`. */
  private retryTimer: TimerHandle | undefined;
  private scheduled = false;
  /** The drain's final commit is under way: a failure is not tried again later. */
  private finishing = false;
  private failures = 0;
  /** False once the connector said the lane is no longer ours: a zombie must not commit. */
  private owned = true;
  private stopped = false;
  private acks: InboundRecord[] = [];
  private acksScheduled = false;
  private pending = 0;

  constructor(
    private readonly lane: LaneHandle,
    private readonly ctx: LaneContext,
    private readonly watermark: Watermark,
    private readonly host: SettlementHost,
    readonly offsetModel: boolean,
  ) {}

  /** Committed watermark as a string (offset model), for inspect(). */
  get committedOffset(): string | undefined {
    return this.committed === undefined ? undefined : String(this.committed);
  }

  /** An outstanding commit or settle call. */
  get busy(): boolean {
    return this.committing || this.pending > 0;
  }

  /** Count a broker call (nack, delayed copy) the lane waits for before it is quiet. */
  hold(): void {
    this.pending++;
  }
  release(): void {
    this.pending--;
  }

  /** The entry's record is done: `ack`, or `term` after a confirmed dead-letter copy. */
  settled(record: InboundRecord, outcome: 'ack' | 'term'): void {
    if (this.offsetModel) return this.scheduleCommit();
    if (outcome === 'term') return this.settleNow([record], 'term');
    this.acks.push(record);
    if (!this.acksScheduled) {
      this.acksScheduled = true;
      setImmediate(() => this.flushAcks());
    }
  }

  /** The watermark may have moved (offset model). */
  scheduleCommit(): void {
    if (!this.offsetModel || this.scheduled || this.committing || this.stopped || !this.owned) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.commit();
    });
  }

  flushAcks(): void {
    this.acksScheduled = false;
    if (this.acks.length === 0) return;
    const batch = this.acks;
    this.acks = [];
    this.settleNow(batch, 'ack');
  }

  /**
   * Drain: acks out, wait for a running commit, make the final one, then
   * stop; all of it within `timeoutMs` (a commit still running then is left
   * to finish on its own, and nothing more is committed).
   */
  async finish(timeoutMs: number): Promise<void> {
    this.finishing = true;
    this.flushAcks();
    if (this.retryTimer !== undefined) this.ctx.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.offsetModel) {
      let timer: TimerHandle | undefined;
      const expired = new Promise<void>((resolve) => {
        timer = this.ctx.clock.setTimeout(resolve, timeoutMs);
      });
      const finalCommit = (async () => {
        await this.commitDone;
        await this.commit();
      })();
      await Promise.race([finalCommit, expired]);
      this.ctx.clock.clearTimeout(timer);
    }
    this.stopped = true;
  }

  private settleNow(records: InboundRecord[], outcome: 'ack' | 'term'): void {
    if (!this.lane.settle) return;
    this.pending++;
    this.lane.settle(records, outcome).then(
      () => {
        this.pending--;
        this.host.unblock('settle');
        this.host.checkIdle();
      },
      (err: unknown) => {
        this.pending--;
        // The broker redelivers after its ack wait: at-least-once holds; report it.
        this.ctx.logger.warn('settle failed; the broker will redeliver', {
          handler: this.ctx.handler.name,
          count: records.length,
          error: err,
        });
        if (this.ctx.events.has('error'))
          this.ctx.events.emit('error', { error: err, where: `settle ${this.host.ref.topic}` });
        this.host.checkIdle();
      },
    );
  }

  /** Commit the watermark if it moved, or if more offsets above a held watermark settled. */
  private commit(): Promise<void> {
    if (!this.lane.commit || this.committing || this.stopped || !this.owned || !this.host.hasReceived())
      return this.commitDone;
    const target = this.watermark.value();
    const metadata = this.watermark.metadata();
    if (this.committed !== undefined && target <= this.committed && metadata === this.committedMetadata)
      return this.commitDone;
    this.committing = true;
    return (this.commitDone = this.commitNow(this.lane.commit.bind(this.lane), target, metadata));
  }

  private async commitNow(
    commit: NonNullable<LaneHandle['commit']>,
    target: number,
    metadata: string | undefined,
  ): Promise<void> {
    this.host.commitState('committing');
    try {
      if (await commit(String(target), metadata)) {
        this.committed = target;
        this.committedMetadata = metadata;
      } else this.owned = false;
      this.failures = 0;
      this.host.unblock('commit');
    } catch (err) {
      this.failures++;
      if (this.failures >= 3) this.host.block('commit', err);
      this.ctx.logger.warn('commit failed; retrying', {
        handler: this.ctx.handler.name,
        topic: this.host.ref.topic,
        partition: this.host.ref.partition,
        error: err,
      });
      if (!this.finishing) {
        this.retryTimer = this.ctx.clock.setTimeout(() => {
          this.retryTimer = undefined;
          this.scheduleCommit();
        }, cappedBackoff(this.failures));
      }
    } finally {
      this.committing = false;
      this.host.commitState('idle');
    }
    if (this.committed !== undefined && this.failures === 0 && this.watermark.value() > this.committed)
      this.scheduleCommit();
    this.host.checkIdle();
  }
}
