import type { LaneId, Subscription, SubscriptionSink, SubscriptionSpec } from '@partita/core';
import type { MemoryBroker } from '../broker/memory-broker.js';
import type { GroupMember } from '../group/group-coordinator.js';
import type { Topic } from '../log/topic.js';
import { MemoryLane, type MemoryLaneOwner } from './memory-lane.js';

/**
 * One `subscribe`: a new member of the spec's group. The coordinator assigns
 * it partitions (each becomes a `MemoryLane` handed to the sink) and revokes
 * them; `close` leaves the group.
 */
export class MemorySubscription implements Subscription, MemoryLaneOwner {
  private readonly lanes = new Map<number, MemoryLane>();
  private readonly joined: { readonly member: GroupMember; readonly ready: Promise<void> };
  private closing: Promise<void> | undefined;

  constructor(
    private readonly broker: MemoryBroker,
    private readonly spec: SubscriptionSpec,
    private readonly topic: Topic,
    private readonly sink: SubscriptionSink,
    readonly maxBatch: number,
    readonly onError: (err: unknown, where: string) => void,
    private readonly onClosed: (sub: MemorySubscription) => void,
  ) {
    // The coordinator may assign partitions before `join` returns: until then `member` is undefined.
    this.joined = broker.coordinator.join(spec.group, spec.topic, {
      assign: (partition, epoch) => this.assign(partition, epoch),
      revoke: (partition) => this.revoke(partition),
    });
    broker.coordinator.onError = onError;
  }

  /** The lanes this member owns now. */
  get ownedLanes(): readonly LaneId[] {
    return [...this.lanes.values()].map((l) => l.id);
  }

  get member(): GroupMember | undefined {
    // `joined` is still unset while the constructor's `join` assigns partitions.
    return this.joined?.member;
  }

  /** Resolves once the first assignment of this member is done. */
  get ready(): Promise<void> {
    return this.joined.ready;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.joined.ready.catch(() => {});
      await this.broker.coordinator.leave(this.joined.member);
      this.onClosed(this);
    })();
    return this.closing;
  }

  private assign(partition: number, epoch: number): void {
    const { group, topic } = this.spec;
    const part = this.topic.partitions[partition];
    if (!part) throw new RangeError(`assign: topic "${topic}" has no partition ${partition}`);
    const c = this.broker.coordinator.committed(group, topic, partition);
    const start = c ? c.offset : this.spec.startFrom === 'latest' ? part.end : part.base;
    const lane = new MemoryLane({ group, topic, partition }, this.broker, part, epoch, start, c, this);
    this.lanes.set(partition, lane);
    lane.sink = this.sink.assigned(lane);
    lane.schedule();
  }

  private async revoke(partition: number): Promise<void> {
    const lane = this.lanes.get(partition);
    if (!lane) return;
    lane.stop();
    try {
      await this.sink.revoked(lane.id);
    } finally {
      this.lanes.delete(partition);
    }
  }
}
