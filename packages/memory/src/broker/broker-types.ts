import type { Headers, HealthReport } from '@partita/core';
import type { DeadLetterStats } from '../dead-letter/dead-letter-store.js';

/** A record to publish through the broker's raw API (core's `OutboundRecord` fits). */
export interface PublishRecord {
  readonly topic: string;
  readonly key?: string;
  /** `null` is a tombstone (stored and delivered as `value: null`; not in durable mode yet). */
  readonly value: Uint8Array | null;
  readonly headers?: Headers;
  /** Explicit partition; otherwise the key's hash, or round-robin for keyless records. */
  readonly partition?: number;
  /** Deliver not before this many ms from now. */
  readonly delayMs?: number;
  /** Deliver not before this clock time (ms); the later of `delayMs` and `deliverAt` wins. */
  readonly deliverAt?: number;
  /** Higher first within a partition's ready set; equal priorities keep their order. @defaultValue 0 */
  readonly priority?: number;
  /** Expire (drop and count, or dead-letter per topic `onExpire`) if not delivered within this many ms. */
  readonly ttlMs?: number;
}

/** Raw consume: the next records of a group on one partition. */
export interface FetchRequest {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  /** @defaultValue 1000 */
  readonly max?: number;
}

/** Raw commit of a group's position (next offset to consume). */
export interface CommitRequest {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number | string;
  readonly metadata?: string;
}

/** Move a group's position: to an offset, or to the first record at/after a timestamp. */
export interface SeekRequest {
  readonly group: string;
  readonly topic: string;
  /** @defaultValue every partition */
  readonly partition?: number;
  /** An offset (a number or its decimal string), or `'earliest'` / `'latest'`. */
  readonly offset?: number | string;
  readonly timestamp?: number;
}

export interface PartitionStats {
  readonly partition: number;
  /** Oldest retained offset. */
  readonly startOffset: number;
  /** Next offset to be assigned. */
  readonly endOffset: number;
  /** Records retained in the log. */
  readonly depth: number;
  /** Staged records ready (waiting behind priorities or for a reader). */
  readonly ready: number;
  /** Staged records waiting for their delay. */
  readonly delayed: number;
  readonly bytes: number;
}

export interface TopicStats {
  readonly name: string;
  readonly partitions: readonly PartitionStats[];
  readonly bytes: number;
  readonly messages: number;
  readonly published: number;
  /** Published records per second since the previous `stats()` call. */
  readonly publishRate: number;
  readonly expired: number;
  readonly deadLettered: number;
}

export interface GroupPartitionStats {
  readonly partition: number;
  readonly committed: number | undefined;
  /** End offset minus committed position. */
  readonly lag: number;
  /** Delivered (fetched) but not committed. */
  readonly inFlight: number;
  readonly owner: number | undefined;
}

export interface GroupStats {
  readonly group: string;
  readonly topic: string;
  readonly members: number;
  readonly partitions: readonly GroupPartitionStats[];
}

export interface BrokerStats {
  readonly bytes: number;
  readonly messages: number;
  readonly limits: { readonly maxBytes: number; readonly maxMessages: number };
  readonly published: number;
  readonly expired: number;
  readonly topics: readonly TopicStats[];
  readonly groups: readonly GroupStats[];
  readonly deadLetters: DeadLetterStats;
  readonly durable?: Readonly<Record<string, unknown>>;
}

export type BrokerHealth = HealthReport;
