import type { LaneId, OffsetLaneHandle } from '@partita/core';
import type { LaneCommitter } from '../commit/lane-committer.js';
import type { ConsumerControl } from './consumer-control.js';
import type { KafkaLane } from './kafka-lane.js';

/**
 * The `LaneHandle` of one Kafka lane. `pause`/`resume` are the runtime's
 * flow control (a held retry-tier lane stays paused until its head is due);
 * `commit` goes through the `LaneCommitter` and its zombie guard. All three
 * do nothing (commit: `false`) once the lane is no longer owned.
 */
export class KafkaLaneHandle implements OffsetLaneHandle {
  readonly ackModel = 'offset';
  readonly id: LaneId;
  declare readonly committedMetadata?: string;

  constructor(
    private readonly lane: KafkaLane,
    committedMetadata: string | undefined,
    private readonly control: ConsumerControl,
    private readonly committer: LaneCommitter,
  ) {
    this.id = lane.id;
    if (committedMetadata) this.committedMetadata = committedMetadata;
  }

  pause(): void {
    const lane = this.lane;
    if (!lane.owned || lane.runtimePaused) return;
    lane.runtimePaused = true;
    if (!lane.held) this.control.pause([lane]);
  }

  resume(): void {
    const lane = this.lane;
    if (!lane.owned || !lane.runtimePaused) return;
    lane.runtimePaused = false;
    if (!lane.held) this.control.resume(lane);
  }

  commit(nextOffset: string, metadata?: string): Promise<boolean> {
    // After the start-offset commit of a new group's partition, never before it (it would move the group back).
    const first = this.lane.initialCommit;
    if (first) return first.then(() => this.committer.commit(this.lane, nextOffset, metadata));
    return this.committer.commit(this.lane, nextOffset, metadata);
  }
}
