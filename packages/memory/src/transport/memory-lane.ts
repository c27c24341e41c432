import type { LaneId, LaneSink, OffsetLaneHandle } from '@partita/core';
import { posKey, type MemoryBroker } from '../broker/memory-broker.js';
import { parseOffset } from '../broker/record-validation.js';
import type { GroupMember } from '../group/group-coordinator.js';
import type { Partition } from '../log/partition.js';

/** What a lane needs to know about the subscription that owns it. */
export interface MemoryLaneOwner {
  /** The group member that owns the lane's partition; `undefined` until the join returned. */
  readonly member: GroupMember | undefined;
  readonly maxBatch: number;
  readonly onError: (err: unknown, where: string) => void;
}

/**
 * One assigned partition, and the `LaneHandle` the runtime drives it with:
 * delivers from `cursor` in batches on `setImmediate`, never re-entrantly;
 * commits only while the owner's member still holds this partition's `epoch`.
 */
export class MemoryLane implements OffsetLaneHandle {
  readonly ackModel = 'offset';
  readonly committedMetadata: string | undefined;
  sink: LaneSink | undefined;
  private scheduled = false;
  private paused = false;
  private active = true;
  private readonly unlisten: () => void;
  private readonly key: string;

  constructor(
    readonly id: LaneId,
    private readonly broker: MemoryBroker,
    private readonly part: Partition,
    private readonly epoch: number,
    private cursor: number,
    committed: { readonly metadata?: string | undefined } | undefined,
    private readonly owner: MemoryLaneOwner,
  ) {
    this.committedMetadata = committed?.metadata;
    this.key = posKey(id.group, id.topic, id.partition);
    broker.positions.set(this.key, cursor);
    this.unlisten = part.listen(() => this.schedule());
  }

  schedule(): void {
    if (this.scheduled || !this.active || this.paused || !this.sink) return;
    this.scheduled = true;
    setImmediate(this.run);
  }

  private readonly run = (): void => {
    this.scheduled = false;
    if (!this.active || this.paused || this.broker.isClosed || !this.sink) return;
    const res = this.part.read(this.cursor, this.owner.maxBatch);
    this.cursor = res.next;
    this.broker.positions.set(this.key, res.next);
    if (res.records.length > 0) {
      try {
        this.sink.deliver(res.records);
      } catch (err) {
        this.owner.onError(err, 'deliver');
      }
    }
    if (this.part.hasData(this.cursor)) this.schedule();
  };

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.schedule();
  }

  /** Commit `nextOffset` for the group; false once the broker closed or the partition moved to another owner. */
  async commit(nextOffset: string, metadata?: string): Promise<boolean> {
    const off = parseOffset(nextOffset, 'nextOffset');
    const member = this.owner.member;
    if (this.broker.isClosed || !member) return false;
    if (!this.broker.coordinator.commitOwned(member, this.id.partition, this.epoch, off, metadata)) return false;
    if (this.broker.durable) await this.broker.durable.flush();
    return true;
  }

  stop(): void {
    this.active = false;
    this.unlisten();
  }
}
