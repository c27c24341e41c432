import type { InboundRecord, MessageLaneHandle } from '../transport/transport.js';
import type { LaneContext } from './lane-context.js';
import type { LaneSettlement, SettlementHost } from './lane-settlement.js';

/**
 * Message model: acknowledges each settled message, batched per turn;
 * dead-lettered ones are terminated at once. A failed settle is reported and
 * left to the broker's redelivery (at-least-once holds).
 */
export class MessageSettlement implements LaneSettlement {
  readonly committedOffset = undefined;
  private acks: InboundRecord[] = [];
  private acksScheduled = false;
  private pending = 0;

  constructor(
    private readonly lane: MessageLaneHandle,
    private readonly ctx: LaneContext,
    private readonly host: SettlementHost,
  ) {}

  get busy(): boolean {
    return this.pending > 0;
  }

  hold(): void {
    this.pending++;
  }
  release(): void {
    this.pending--;
  }

  settled(record: InboundRecord, outcome: 'ack' | 'term'): void {
    if (outcome === 'term') return this.settleNow([record], 'term');
    this.acks.push(record);
    if (!this.acksScheduled) {
      this.acksScheduled = true;
      setImmediate(() => this.flushAcks());
    }
  }

  finish(): Promise<void> {
    this.flushAcks();
    return Promise.resolve();
  }

  private flushAcks(): void {
    this.acksScheduled = false;
    if (this.acks.length === 0) return;
    const batch = this.acks;
    this.acks = [];
    this.settleNow(batch, 'ack');
  }

  private settleNow(records: InboundRecord[], outcome: 'ack' | 'term'): void {
    this.pending++;
    this.lane.settle(records, outcome).then(
      () => {
        this.pending--;
        this.host.unblock('settle');
        this.host.checkIdle();
      },
      (err: unknown) => {
        this.pending--;
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
}
