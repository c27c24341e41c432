import type { Subscription, SubscriptionSink, SubscriptionSpec } from '@partita/core';
import type { CoreLane } from '../consumer/core-lane.js';
import type { JetStreamLane } from '../consumer/jetstream-lane.js';

/**
 * One `subscribe` of the NATS transport: its single lane (partition 0), and
 * where it reads from (`stream`/`durable` in JetStream mode). `close` stops
 * pulling, lets the runtime drain the lane (`sink.revoked`), then releases
 * the lane's consumer; it is idempotent.
 */
export class NatsSubscription implements Subscription {
  private closing: Promise<void> | undefined;

  constructor(
    readonly lane: JetStreamLane | CoreLane,
    readonly spec: SubscriptionSpec,
    readonly stream: string | undefined,
    readonly durable: string | undefined,
    private readonly sink: SubscriptionSink,
    private readonly onClosed: (sub: NatsSubscription) => void,
  ) {}

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.lane.stopPulling();
      try {
        await this.sink.revoked(this.lane.id);
      } finally {
        await this.lane.release();
        this.onClosed(this);
      }
    })();
    return this.closing;
  }
}
