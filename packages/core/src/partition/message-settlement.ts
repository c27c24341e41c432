import type { InboundRecord, MessageLaneHandle } from '../transport/transport.js';
import type { LaneContext } from './lane-context.js';
import { TurnQueue, type TimerHandle } from '../clock/clock.js';
import type { LaneSettlement } from './lane-settlement.js';

/**
 * Message model: acknowledges each settled message, batched per turn;
 * dead-lettered ones are terminated at once. A failed settle is reported and
 * left to the broker's redelivery (at-least-once holds).
 */
export class MessageSettlement implements LaneSettlement {
  readonly committedOffset = undefined;
  private acks: InboundRecord[] = [];
  /** The next turn's ack batch. */
  private readonly ackTurn: TurnQueue;
  /** Settle calls under way, awaited by the drain. */
  private readonly settling = new Set<Promise<void>>();

  constructor(
    private readonly lane: MessageLaneHandle,
    private readonly ctx: LaneContext,
  ) {
    this.ackTurn = new TurnQueue(ctx.clock, () => this.flushAcks());
  }

  settled(record: InboundRecord, outcome: 'ack' | 'term'): void {
    if (outcome === 'term') return this.settleNow([record], 'term');
    this.acks.push(record);
    this.ackTurn.request();
  }

  async finish(timeoutMs: number): Promise<void> {
    this.flushAcks();
    let timer: TimerHandle | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = this.ctx.clock.setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.all(this.settling), expired]);
    if (timer !== undefined) this.ctx.clock.clearTimeout(timer);
  }

  private flushAcks(): void {
    if (this.acks.length === 0) return;
    const batch = this.acks;
    this.acks = [];
    this.settleNow(batch, 'ack');
  }

  private settleNow(records: InboundRecord[], outcome: 'ack' | 'term'): void {
    const call = this.lane.settle(records, outcome).then(
      () => {
        this.settling.delete(call);
      },
      (err: unknown) => {
        this.settling.delete(call);
        this.ctx.logger.warn({ count: records.length, err }, 'settle failed; the broker will redeliver');
        if (this.ctx.events.has('error'))
          this.ctx.events.emit('error', { error: err, where: `settle ${this.lane.id.topic}` });
      },
    );
    this.settling.add(call);
  }
}
