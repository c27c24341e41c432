import type { CommittedOffset } from '../group/group-coordinator.js';
import type { Partition } from '../log/partition.js';
import type { StagedRecord, StoredRecord } from '../log/stored-record.js';
import type { ResolvedTopicOptions } from '../options/broker-options.js';
import type { PublishedLike } from './record-codec.js';

/** What durable recovery hands back to the broker. */
export interface RecoveredState {
  readonly topics: readonly { readonly name: string; readonly options: ResolvedTopicOptions }[];
  readonly offsets: readonly {
    readonly group: string;
    readonly topic: string;
    readonly partition: number;
    readonly entry: CommittedOffset;
  }[];
}

/**
 * The broker's persistence port (durable mode). Writes are synchronous
 * appends to the OS; `flush()` resolves when the fsync policy is satisfied.
 */
export interface DurableStore {
  /** Topic metadata (names and options). */
  readTopics(): RecoveredState['topics'];
  /** Load a partition's retained records and staged records into it. */
  recoverPartition(partition: Partition, topic: string): void;
  readOffsets(): RecoveredState['offsets'];
  topicCreated(name: string, options: ResolvedTopicOptions): void;
  sequenced(partition: Partition, records: readonly StoredRecord[]): void;
  /** Publish fast path: write `records[idx[..]]` at offsets `first..` with one timestamp, without record objects. */
  appendPublished(
    partition: Partition,
    records: readonly PublishedLike[],
    idx: readonly number[],
    first: number,
    timestamp: number,
    now: number,
  ): void;
  staged(partition: Partition, record: StagedRecord): void;
  unstaged(partition: Partition, records: readonly StagedRecord[]): void;
  committed(group: string, topic: string, partition: number, entry: CommittedOffset): void;
  /** Resolves when everything written so far is as durable as the fsync policy promises; rejects on I/O failure. */
  flush(): Promise<void>;
  /** Apply retention (delete old segments); returns, per partition, the new start offset. */
  enforceRetention(partition: Partition): number | undefined;
  /** Reasons for degraded/down health. */
  health(): { down: string[]; degraded: string[]; details: Record<string, unknown> };
  close(): Promise<void>;
}
