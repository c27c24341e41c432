import type { StoredRecord } from './stored-record.js';

/** Records of a partition that are on disk but no longer in memory (durable mode). */
export interface ColdSource {
  /** Up to `max` consecutive records from `from` (fewer at a segment end; empty past the cold range). */
  read(from: number, max: number): StoredRecord[];
  /** First offset whose timestamp is at or after `timestamp`, or undefined when every cold record is older. */
  offsetForTimestamp(timestamp: number): number | undefined;
}
