import type { LaneHandle } from '../transport/transport.js';
import type { InboundRecord } from '../transport/transport.js';
import type { LaneContext } from './lane-context.js';
import type { LaneMode } from './lane-mode.js';
import type { LaneReport } from './lane-report.js';
import { MessageSettlement } from './message-settlement.js';
import { OffsetSettlement } from './offset-settlement.js';
import type { Watermark } from './watermark.js';

/**
 * Tells the broker what is done, in the lane's ack model: an
 * {@link OffsetSettlement} commits the watermark, a {@link MessageSettlement}
 * settles each message. Chosen once per lane by {@link createLaneSettlement}.
 * What it does to the lane it records in the lane machine (the `commit`
 * region; `health` blocked by `commit`), not through the actor.
 */
export interface LaneSettlement {
  /** Committed watermark as a string (offset model), for inspect(). */
  readonly committedOffset: string | undefined;
  /** The entry's record is done: `ack`, or `term` after a confirmed dead-letter copy. */
  settled(record: InboundRecord, outcome: 'ack' | 'term'): void;
  /**
   * Drain: everything settled so far goes to the broker and is confirmed,
   * all of it within `timeoutMs` (a call still running then is left to
   * finish on its own, and nothing more is sent).
   */
  finish(timeoutMs: number): Promise<void>;
}

/** The settlement of the lane's ack model (the handle's discriminant decides, once). */
export function createLaneSettlement(
  lane: LaneHandle,
  ctx: LaneContext,
  watermark: Watermark,
  mode: LaneMode,
  report: LaneReport,
): LaneSettlement {
  return lane.ackModel === 'offset'
    ? new OffsetSettlement(lane, ctx, watermark, mode, report)
    : new MessageSettlement(lane, ctx);
}
