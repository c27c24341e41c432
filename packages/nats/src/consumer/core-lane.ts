import type { Msg, NatsConnection, Subscription as NatsSubscription } from '@nats-io/transport-node';
import type { Clock, InboundRecord, MessageLaneHandle, LaneId, LaneSink } from '@partita/core';
import { UnsupportedFeatureError } from '@partita/core';
import { fromNatsHeaders } from '../headers/record-headers.js';

/**
 * A lane over a core NATS queue subscription: at-most-once. Records are
 * delivered as they arrive; settle is a no-op (nothing to acknowledge).
 * While paused, up to `bufferLimit` records wait; more are dropped and
 * counted in `dropped` (core NATS cannot hold them back).
 */
export class CoreLane implements MessageLaneHandle {
  readonly ackModel = 'message';
  readonly id: LaneId;
  private sub: NatsSubscription | undefined;
  private sink: LaneSink | undefined;
  private paused = false;
  private stopped = false;
  private outbox: InboundRecord[] = [];
  private flushScheduled = false;
  private seq = 0;
  dropped = 0;
  delivered = 0;

  constructor(
    private readonly nc: NatsConnection,
    id: LaneId,
    private readonly bufferLimit: number,
    private readonly clock: Clock,
  ) {
    this.id = id;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get unsettledCount(): number {
    return 0;
  }

  start(sink: LaneSink): void {
    this.sink = sink;
    this.sub = this.nc.subscribe(this.id.topic, {
      queue: this.id.group,
      callback: (err, m) => {
        if (!err) this.accept(m);
      },
    });
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.schedule();
  }

  async settle(): Promise<void> {
    // At-most-once: nothing to acknowledge.
  }

  /** Core NATS has no redelivery (capabilities.nativeDelay is false): refused. */
  nack(): Promise<void> {
    return Promise.reject(
      new UnsupportedFeatureError(
        'nack',
        'nats core',
        'nack: core NATS cannot redeliver a message; use mode "jetstream"',
      ),
    );
  }

  async stopPulling(): Promise<void> {
    this.stopped = true;
    if (this.sub && !this.sub.isClosed()) await this.sub.drain().catch(() => undefined);
  }

  release(): void {
    this.stopped = true;
    this.outbox = [];
  }

  private accept(m: Msg): void {
    if (this.stopped) return;
    if (this.paused && this.outbox.length >= this.bufferLimit) {
      this.dropped++;
      return;
    }
    const { headers, key, tombstone } = fromNatsHeaders(m.headers);
    this.outbox.push({
      key,
      headers,
      value: tombstone ? null : m.data,
      offset: String(++this.seq),
      timestamp: this.clock.now(),
      deliveryCount: 1,
    });
    this.schedule();
  }

  private schedule(): void {
    if (this.flushScheduled || this.paused || this.outbox.length === 0) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.paused || this.stopped) return;
      const batch = this.outbox;
      this.outbox = [];
      this.delivered += batch.length;
      if (batch.length > 0) this.sink?.deliver(batch);
    });
  }
}
