import type { Headers } from '../message/message.js';
import type { RawFields } from './transport.js';

/** One topic as the broker holds it. */
export interface TopicInfo {
  readonly name: string;
  /** Partitions (streams, queues) of the topic; 1 for partitionless brokers. */
  readonly partitions: number;
  /** Records the broker holds for the topic now (retained, or ready plus unacked), when it can tell. */
  readonly depth?: number;
  /**
   * Per partition (index = partition), the position the next record will be
   * at or after, when the broker can tell (Kafka: the high watermark; NATS:
   * the stream's last sequence + 1). `read` with it as `from` returns only
   * records published since: how a tail follows from the end.
   */
  readonly ends?: readonly string[];
}

/** A consumer group's position on one partition of a topic. */
export interface GroupLag {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  /** The group's committed position (offset model), when it has one. */
  readonly committed?: string;
  /** One past the last record of the partition (offset model), when it can tell. */
  readonly end?: string;
  /** Records the group has not settled yet. */
  readonly lag: number;
}

/** Where to start reading and what to keep. */
export interface ReadOptions {
  /**
   * `earliest` (default), `latest`, or a position as {@link BrowsedRecord.position}
   * gives it: records at or after it (inclusive). A queue broker whose
   * positions have no order reads from the head and says so in its README.
   */
  readonly from?: string;
  /** Only this partition (default: every partition). */
  readonly partition?: number;
  /** At most this many records (default 100). */
  readonly limit?: number;
}

/** A record read by {@link TransportAdmin.read}, without consuming it for any group. */
export interface BrowsedRecord {
  readonly topic: string;
  readonly partition: number;
  /**
   * The record's position, unique within (topic, partition): an offset
   * (Kafka, memory), a stream sequence (NATS), an entry id (Redis), a
   * message id (RabbitMQ, SQS). The CLI and dashboard name a record by
   * `<partition>:<position>`.
   */
  readonly position: string;
  readonly key: string | undefined;
  readonly value: Uint8Array | null;
  readonly headers: Headers;
  readonly raw?: RawFields;
  readonly timestamp: number;
}

/**
 * The operator's side of a connector: what the `partita` CLI and the
 * dashboard need, and nothing the runtime uses. Contract:
 * - Every method works on a connected transport without subscribing, and
 *   never changes any group's position or any record's delivery state,
 *   except `purge`.
 * - `read` browses: on a queue broker (RabbitMQ, SQS) where reading takes
 *   the message, the connector returns it to the queue unchanged before it
 *   resolves, and documents what that does to ordering and receive counts.
 * - Errors are partita errors naming the topic or group and the fix.
 */
export interface TransportAdmin {
  /** Topics with partitions and depth. Dead-letter topics are listed like any other. */
  topics(): Promise<readonly TopicInfo[]>;
  /** Lag per (group, topic, partition); only `group` when given. */
  lag(group?: string): Promise<readonly GroupLag[]>;
  /** Records of a topic from a position, oldest first. */
  read(topic: string, options?: ReadOptions): Promise<readonly BrowsedRecord[]>;
  /**
   * Remove the records of a topic: all of them, or only `positions`
   * (`<partition>:<position>`) where the broker can delete single records
   * (it throws a partita error saying so where it cannot). Resolves with the count removed.
   */
  purge(topic: string, positions?: readonly string[]): Promise<{ readonly removed: number }>;
}

/** A transport that also offers {@link TransportAdmin} (as `transport.admin`). */
export interface AdminTransport {
  readonly admin: TransportAdmin;
}

/** Whether `transport` offers the admin side. */
export function hasAdmin(transport: object): transport is AdminTransport {
  const admin = (transport as Partial<AdminTransport>).admin;
  return typeof admin === 'object' && admin !== null && typeof admin.topics === 'function';
}
