import type { Headers } from '@partita/core';
import type { Partition } from './partition.js';
import type { StagedRecord, StoredRecord } from './stored-record.js';

/** Hooks a partition calls; the broker wires limits, dead letters and durability through them. */
export interface PartitionHooks {
  /** Whether `sequenced` wants the records (durable mode); saves a copy otherwise. */
  readonly wantsSequenced: () => boolean;
  /** Records entered the log (durable mode writes them). Called synchronously before they become readable. */
  sequenced(partition: Partition, records: readonly StoredRecord[]): void;
  /** Records left the staging area (sequenced or expired): durable mode journals it. */
  unstaged(partition: Partition, records: readonly StagedRecord[]): void;
  /** A record expired before delivery (offset undefined when it expired while staged). */
  expired(
    partition: Partition,
    record: { key: string | undefined; value: Uint8Array | null; headers: Headers; timestamp: number },
    offset: string | undefined,
  ): void;
  /** The oldest retained offset moved up to `base` (records freed, by consumption, retention or purge). */
  trimmed(partition: Partition, base: number): void;
}

/** Result of `Partition.read`: records to deliver and the position after them. */
export interface ReadResult {
  readonly records: readonly StoredRecord[];
  readonly next: number;
}
