import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { LaneId, SubscriptionSink } from '@partita/core';
import type { RabbitConnection } from '../connection/rabbit-connection.js';
import { fromAmqp, isProbe } from '../headers/amqp-record.js';
import { RabbitLane, type DelayedCopy } from './rabbit-lane.js';

/** Unacked records the broker may send one lane, in units of the handler's `maxInFlight`. */
const PREFETCH_FACTOR = 4;
/** AMQP's limit (`basic.qos` prefetch-count is a short). */
const MAX_PREFETCH = 65_535;

/**
 * The channel prefetch for a handler's `maxInFlight`: four times it. A record
 * holds its slot until its ack reaches the broker, a turn or two after its
 * handler ended (acks go out once per turn); with a prefetch of only
 * `maxInFlight`, the broker would stop delivering while a window's acks are
 * on their way. The runtime still runs at most `maxInFlight` records at once;
 * the others wait in the lane (which pauses the flow past its buffer limit).
 */
export function prefetchFor(maxInFlight: number): number {
  return Math.min(MAX_PREFETCH, PREFETCH_FACTOR * Math.max(1, maxInFlight));
}

/** What a partition consumer needs from its subscription. */
export interface PartitionConsumerConfig {
  readonly id: LaneId;
  readonly queue: string;
  readonly prefetch: number;
  /** Settle resolves after a round trip on the channel (see `RabbitLane.settle`). */
  readonly confirmAcks: boolean;
  readonly sink: SubscriptionSink;
  readonly delayedCopy: DelayedCopy;
  /** Ask the queue who its active consumer is (a probe: whoever receives it is). */
  readonly probe: () => void;
  /** The injected clock's time (probe bookkeeping). */
  readonly now: () => number;
}

/**
 * This member's consumer of one partition queue (`x-single-active-consumer`):
 * one channel of its own, re-opened and re-subscribed by
 * amqp-connection-manager after a reconnect.
 *
 * The broker gives the queue to one consumer of the group at a time and
 * AMQP does not say which: the first delivery on a channel (a record or a
 * probe) proves this member active, and only then is the lane assigned. A
 * lane ends when its channel closes (reconnect: revoked, and a new lane is
 * assigned after the old one drained) or when the member hands the partition
 * over ({@link release}: drain, then close the channel, so the broker returns
 * what arrived meanwhile and activates the next member atomically; order per
 * key holds).
 */
export class PartitionConsumer {
  private wrapper: ChannelWrapper | undefined;
  /** Identifies the current wrapper: a wrapper closed while its channel was still opening must not consume. */
  private wrapperToken: object | undefined;
  private channel: Channel | undefined;
  private generation = 0;
  private lane: RabbitLane | undefined;
  private revoking: Promise<void> | undefined;
  /** Deliveries of the current channel that wait for a lane (while the previous lane drains). */
  private pending: { msg: ConsumeMessage; generation: number }[] = [];
  private state: 'consuming' | 'releasing' | 'closed' = 'consuming';
  lastProbeAt = 0;
  lastError: string | undefined;

  constructor(
    private readonly conn: RabbitConnection,
    private readonly cfg: PartitionConsumerConfig,
  ) {}

  get partition(): number {
    return this.cfg.id.partition;
  }

  /** True while this member holds the partition's lane. */
  get active(): boolean {
    return this.lane !== undefined;
  }

  get busy(): boolean {
    return this.state !== 'consuming' || this.revoking !== undefined;
  }

  get channelOpen(): boolean {
    return this.channel !== undefined;
  }

  get laneStats(): { unsettled: number; delivered: number; paused: boolean } | undefined {
    const l = this.lane;
    return l ? { unsettled: l.unsettledCount, delivered: l.delivered, paused: l.isPaused } : undefined;
  }

  start(): void {
    const token = {};
    this.wrapperToken = token;
    this.wrapper = this.conn.manager.createChannel({
      name: this.cfg.queue,
      confirm: false,
      setup: (ch: Channel) => this.setup(ch, token),
    });
    this.wrapper.on('error', (err: Error) => {
      this.lastError = err.message;
      this.conn.log.warn({ queue: this.cfg.queue, err }, 'RabbitMQ consumer channel error; it is set up again');
    });
  }

  /**
   * Hand the partition to the next member: revoke the lane (the runtime
   * drains and settles), close the channel (the broker returns records that
   * arrived meanwhile and activates the next consumer), subscribe again at
   * the back of the queue's consumer list, and probe so the new owner learns
   * it is active.
   */
  async release(): Promise<void> {
    if (this.state !== 'consuming' || !this.lane) return;
    this.state = 'releasing';
    try {
      await this.revoke();
      await this.closeWrapper();
      if (this.state === 'releasing') {
        this.cfg.probe();
        this.lastProbeAt = this.cfg.now();
        this.start();
      }
    } finally {
      if (this.state === 'releasing') this.state = 'consuming';
    }
  }

  /** Revoke the lane (drained by the runtime), then close the channel. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    await this.revoke();
    await this.revoking;
    await this.closeWrapper();
  }

  private async closeWrapper(): Promise<void> {
    const w = this.wrapper;
    this.wrapper = undefined;
    this.wrapperToken = undefined;
    await w?.close().catch(() => undefined);
  }

  private async setup(ch: Channel, token: object): Promise<void> {
    // amqp-connection-manager may still open a channel for a wrapper closed meanwhile: close it, never consume.
    if (token !== this.wrapperToken) {
      await ch.close().catch(() => undefined);
      return;
    }
    const generation = ++this.generation;
    this.channel = ch;
    this.lastError = undefined;
    ch.on('close', () => this.onChannelClose(ch));
    await ch.prefetch(this.cfg.prefetch);
    await ch.consume(this.cfg.queue, (m) => this.onMessage(m, ch, generation), { noAck: false });
    if (token !== this.wrapperToken) {
      await ch.close().catch(() => undefined);
      return;
    }
    this.cfg.probe();
    this.lastProbeAt = this.cfg.now();
  }

  private onMessage(m: ConsumeMessage | null, ch: Channel, generation: number): void {
    if (ch !== this.channel) return; // a closed channel's delivery: the broker has returned it
    if (m === null) {
      // The broker cancelled the consumer (queue deleted): the lane ends like on a channel close.
      this.lastError = `consumer of "${this.cfg.queue}" cancelled by the broker`;
      this.endLane();
      return;
    }
    if (this.state !== 'consuming') return; // releasing or closing: returned when the channel closes
    if (isProbe(m)) {
      try {
        ch.ack(m);
      } catch {
        /* channel closing */
      }
      if (!this.lane) this.assign(generation);
      return;
    }
    if (this.lane && this.lane.generation === generation) {
      this.lane.push(fromAmqp(m, String(m.fields.deliveryTag)), m);
      return;
    }
    this.pending.push({ msg: m, generation });
    if (!this.lane) this.assign(generation);
  }

  /** Assign a lane for the current channel once no earlier lane of this partition is still draining. */
  private assign(generation: number): void {
    if (this.revoking || this.state !== 'consuming' || !this.channel || generation !== this.generation) return;
    const lane = new RabbitLane(this.cfg.id, this.channel, generation, this.cfg.delayedCopy, this.cfg.confirmAcks);
    this.lane = lane;
    const pending = this.pending.filter((p) => p.generation === generation);
    this.pending = [];
    for (const p of pending) lane.push(fromAmqp(p.msg, String(p.msg.fields.deliveryTag)), p.msg);
    lane.start(this.cfg.sink.assigned(lane));
  }

  private onChannelClose(ch: Channel): void {
    if (ch !== this.channel) return;
    this.channel = undefined;
    this.pending = [];
    this.endLane();
  }

  /** The channel is gone: its lane can no longer ack; revoke it (the runtime drains, acks are dropped). */
  private endLane(): void {
    this.lane?.detach();
    void this.revoke();
  }

  private revoke(): Promise<void> {
    const lane = this.lane;
    if (!lane) return this.revoking ?? Promise.resolve();
    this.lane = undefined;
    lane.stop();
    const previous = this.revoking ?? Promise.resolve();
    const revoking = previous
      .then(() => this.cfg.sink.revoked(lane.id))
      .catch(() => undefined)
      .finally(() => {
        if (this.revoking === revoking) this.revoking = undefined;
        // Deliveries that arrived on a new channel while the old lane drained get their lane now.
        const next = this.pending[0];
        if (next && !this.lane) this.assign(next.generation);
      });
    this.revoking = revoking;
    return revoking;
  }
}
