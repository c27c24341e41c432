import { TurnQueue, type TimerHandle } from '../clock/clock.js';
import { cappedBackoff } from '../retry/backoff.js';
import type { OffsetLaneHandle } from '../transport/transport.js';
import type { LaneContext } from './lane-context.js';
import type { LaneMode } from './lane-mode.js';
import type { LaneReport } from './lane-report.js';
import type { LaneSettlement } from './lane-settlement.js';
import type { Watermark } from './watermark.js';

/**
 * Offset model: commits the watermark (with the settled offsets above it as
 * metadata), one commit in flight at a time, at most one per event-loop turn;
 * a failing commit is retried with backoff and blocks the lane (`health`
 * blocked by `commit`) after three failures. Each commit is the machine's
 * `commit` region going `committing` and back.
 */
export class OffsetSettlement implements LaneSettlement {
  private committed: number | undefined;
  private committedMetadata: string | undefined;
  private committing = false;
  /** The commit in flight, awaited by the drain. */
  private commitDone: Promise<void> = Promise.resolve();
  /** Timer of a failed commit's next try; cleared by `finish`. */
  private retryTimer: TimerHandle | undefined;
  /** The next turn's commit (at most one per turn). */
  private readonly commitTurn: TurnQueue;
  /** The drain's final commit is under way: a failure is not tried again later. */
  private finishing = false;
  private failures = 0;
  /** False once the connector said the lane is no longer ours: a zombie must not commit. */
  private owned = true;
  private stopped = false;

  constructor(
    private readonly lane: OffsetLaneHandle,
    private readonly ctx: LaneContext,
    private readonly watermark: Watermark,
    private readonly mode: LaneMode,
    private readonly report: LaneReport,
  ) {
    this.commitTurn = new TurnQueue(ctx.clock, () => void this.commit());
  }

  get committedOffset(): string | undefined {
    return this.committed === undefined ? undefined : String(this.committed);
  }

  /** Whatever the outcome, the watermark may have moved. */
  settled(): void {
    this.scheduleCommit();
  }

  async finish(timeoutMs: number): Promise<void> {
    this.finishing = true;
    if (this.retryTimer !== undefined) this.ctx.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    let timer: TimerHandle | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = this.ctx.clock.setTimeout(resolve, timeoutMs);
    });
    const finalCommit = (async () => {
      await this.commitDone;
      await this.commit();
    })();
    await Promise.race([finalCommit, expired]);
    if (timer !== undefined) this.ctx.clock.clearTimeout(timer);
    this.stopped = true;
  }

  private scheduleCommit(): void {
    if (this.committing || this.stopped || !this.owned) return;
    this.commitTurn.request();
  }

  /** Commit the watermark if it moved, or if more offsets above a held watermark settled. */
  private commit(): Promise<void> {
    if (this.committing || this.stopped || !this.owned || this.report.counters.received === 0) return this.commitDone;
    const target = this.watermark.value();
    const metadata = this.watermark.metadata();
    if (this.committed !== undefined && target <= this.committed && metadata === this.committedMetadata)
      return this.commitDone;
    this.committing = true;
    return (this.commitDone = this.commitNow(target, metadata));
  }

  private async commitNow(target: number, metadata: string | undefined): Promise<void> {
    this.mode.send({ type: 'COMMIT' });
    try {
      if (await this.lane.commit(String(target), metadata)) {
        this.committed = target;
        this.committedMetadata = metadata;
      } else this.owned = false;
      this.failures = 0;
      this.mode.unblock('commit');
    } catch (err) {
      this.failures++;
      if (this.failures >= 3 && this.mode.block('commit')) this.report.blocked('commit', err);
      this.ctx.logger.warn({ err }, 'commit failed; retrying');
      if (!this.finishing) {
        this.retryTimer = this.ctx.clock.setTimeout(() => {
          this.retryTimer = undefined;
          this.scheduleCommit();
        }, cappedBackoff(this.failures));
      }
    } finally {
      this.committing = false;
      this.mode.send({ type: 'COMMITTED' });
    }
    if (this.committed !== undefined && this.failures === 0 && this.watermark.value() > this.committed)
      this.scheduleCommit();
  }
}
