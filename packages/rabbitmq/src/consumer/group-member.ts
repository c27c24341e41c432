import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel } from 'amqplib';
import type { Clock, SubscriptionSink, SubscriptionSpec, TimerHandle } from '@partita/core';
import type { RabbitConnection } from '../connection/rabbit-connection.js';
import type { Topology } from '../topology/topology.js';
import { PartitionConsumer, prefetchFor } from './partition-consumer.js';
import type { DelayedCopy } from './rabbit-lane.js';

/** What a group member needs from the transport. */
export interface GroupMemberConfig {
  readonly spec: SubscriptionSpec;
  readonly sink: SubscriptionSink;
  readonly topology: Topology;
  readonly clock: Clock;
  readonly rebalanceIntervalMs: number;
  readonly probeIntervalMs: number;
  readonly confirmAcks: boolean;
  readonly delayedCopy: (topic: string, group: string, partition: number) => DelayedCopy;
  readonly probe: (queue: string) => void;
}

/** One partition as health reports it. */
export interface PartitionHealth {
  readonly partition: number;
  readonly queue: string;
  readonly active: boolean;
  readonly channelOpen: boolean;
  readonly unsettled?: number;
  readonly delivered?: number;
  readonly paused?: boolean;
  readonly depth?: number;
  readonly consumers?: number;
  readonly error?: string;
}

/**
 * This member of a consumer group on one topic: a consumer on every
 * partition queue of the group, of which the broker makes it active on some,
 * and one on the group's presence queue (counted: the group's size).
 *
 * Balance: the broker activates the first consumer that subscribed, so the
 * member that came first would own every partition. Every
 * `rebalanceIntervalMs` a member reads the group's size (the presence
 * queue's consumer count) and, while it
 * is active on more than `ceil(partitions / members)`, hands one partition
 * over (drained first, see `PartitionConsumer.release`). Waiting partitions
 * are probed every `probeIntervalMs`, so a member learns it became active on
 * an empty queue after its previous owner died.
 */
export class GroupMember {
  readonly consumers: PartitionConsumer[] = [];
  private timer: TimerHandle | undefined;
  private presence: ChannelWrapper | undefined;
  private closed = false;
  private checking = false;

  constructor(
    private readonly conn: RabbitConnection,
    private readonly cfg: GroupMemberConfig,
  ) {
    const { spec, topology } = cfg;
    for (let p = 0; p < topology.partitionsOf(spec.topic); p++) {
      const queue = topology.queueFor(spec.topic, spec.group, p);
      this.consumers.push(
        new PartitionConsumer(conn, {
          id: { group: spec.group, topic: spec.topic, partition: p },
          queue,
          prefetch: prefetchFor(spec.maxInFlight),
          confirmAcks: cfg.confirmAcks,
          sink: cfg.sink,
          delayedCopy: cfg.delayedCopy(spec.topic, spec.group, p),
          probe: () => cfg.probe(queue),
          now: () => cfg.clock.now(),
        }),
      );
    }
  }

  get spec(): SubscriptionSpec {
    return this.cfg.spec;
  }

  start(): void {
    const queue = this.cfg.topology.presenceQueueFor(this.cfg.spec.topic, this.cfg.spec.group);
    this.presence = this.conn.manager.createChannel({
      name: queue,
      setup: async (ch: Channel) => {
        // A wrapper closed while its channel was still opening must not leave a member counted.
        if (this.closed) return void (await ch.close().catch(() => undefined));
        await ch.consume(queue, () => undefined, { noAck: true });
        if (this.closed) await ch.close().catch(() => undefined);
      },
    });
    this.presence.on('error', (err: unknown) =>
      this.conn.log.debug({ queue, err }, 'RabbitMQ presence channel error; it is set up again'),
    );
    for (const c of this.consumers) c.start();
    this.schedule();
  }

  /** Partitions this member is the active consumer of. */
  activePartitions(): number[] {
    return this.consumers.filter((c) => c.active).map((c) => c.partition);
  }

  /** The group's size (members holding a consumer on its presence queue). */
  members(): Promise<number> {
    return this.memberCount();
  }

  /** Per partition: lane state, and the queue's depth and consumer count when the broker answers. */
  async health(): Promise<PartitionHealth[]> {
    const counts = await this.queueCounts().catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
    return this.consumers.map((c, i) => ({
      partition: c.partition,
      queue: this.cfg.topology.queueFor(this.cfg.spec.topic, this.cfg.spec.group, c.partition),
      active: c.active,
      channelOpen: c.channelOpen,
      ...(c.laneStats ?? {}),
      ...(typeof counts === 'string' ? { error: counts } : counts[i]),
      ...(c.lastError !== undefined ? { error: c.lastError } : {}),
    }));
  }

  /** Revoke every lane (the runtime drains them) and close the channels. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) this.cfg.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all(this.consumers.map((c) => c.close()));
    await this.presence?.close().catch(() => undefined);
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.cfg.clock.setTimeout(() => {
      void this.check().finally(() => this.schedule());
    }, this.cfg.rebalanceIntervalMs);
  }

  /** One balance step: hand over at most one partition; probe partitions waited on for long. */
  private async check(): Promise<void> {
    if (this.closed || this.checking || this.conn.disconnected) return;
    this.checking = true;
    try {
      const now = this.cfg.clock.now();
      for (const c of this.consumers) {
        if (!c.active && !c.busy && c.channelOpen && now - c.lastProbeAt >= this.cfg.probeIntervalMs) {
          c.lastProbeAt = now;
          this.cfg.probe(this.cfg.topology.queueFor(this.cfg.spec.topic, this.cfg.spec.group, c.partition));
        }
      }
      const active = this.consumers.filter((c) => c.active && !c.busy);
      if (active.length <= 1 || this.consumers.some((c) => c.busy)) return;
      const members = Math.max(1, await this.memberCount());
      const target = Math.ceil(this.consumers.length / members);
      if (active.length > target && !this.closed) await active[active.length - 1]!.release();
    } catch {
      /* broker unreachable: try again at the next tick */
    } finally {
      this.checking = false;
    }
  }

  private memberCount(): Promise<number> {
    return this.conn.withChannel(
      async (ch) =>
        (await ch.checkQueue(this.cfg.topology.presenceQueueFor(this.cfg.spec.topic, this.cfg.spec.group)))
          .consumerCount,
    );
  }

  private queueCounts(): Promise<{ depth: number; consumers: number }[]> {
    return this.conn.withChannel(async (ch) => {
      const out: { depth: number; consumers: number }[] = [];
      for (const c of this.consumers) {
        const q = await ch.checkQueue(
          this.cfg.topology.queueFor(this.cfg.spec.topic, this.cfg.spec.group, c.partition),
        );
        out.push({ depth: q.messageCount, consumers: q.consumerCount });
      }
      return out;
    });
  }
}
