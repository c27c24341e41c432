import type { LaneHandle } from '../transport/transport.js';
import type { InboundRecord } from '../transport/transport.js';
import type { LaneContext } from './lane-context.js';
import { MessageSettlement } from './message-settlement.js';
import { OffsetSettlement } from './offset-settlement.js';
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
 * Tells the broker what is done, in the lane's ack model: an
 * {@link OffsetSettlement} commits the watermark, a {@link MessageSettlement}
 * settles each message. Chosen once per lane by {@link createLaneSettlement}.
 */
export interface LaneSettlement {
  /** Committed watermark as a string (offset model), for inspect(). */
  readonly committedOffset: string | undefined;
  /** An outstanding commit or settle call. */
  readonly busy: boolean;
  /** Count a broker call (nack, delayed copy) the lane waits for before it is quiet. */
  hold(): void;
  release(): void;
  /** The entry's record is done: `ack`, or `term` after a confirmed dead-letter copy. */
  settled(record: InboundRecord, outcome: 'ack' | 'term'): void;
  /**
   * Drain: everything settled so far goes to the broker, all of it within
   * `timeoutMs` (a call still running then is left to finish on its own, and
   * nothing more is sent).
   */
  finish(timeoutMs: number): Promise<void>;
}

/** The settlement of the lane's ack model (the handle's discriminant decides, once). */
export function createLaneSettlement(
  lane: LaneHandle,
  ctx: LaneContext,
  watermark: Watermark,
  host: SettlementHost,
): LaneSettlement {
  return lane.ackModel === 'offset'
    ? new OffsetSettlement(lane, ctx, watermark, host)
    : new MessageSettlement(lane, ctx, host);
}
