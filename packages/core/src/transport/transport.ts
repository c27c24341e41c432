import type { Headers } from '../message/message.js';

/** What a broker can do natively; the runtime adapts, handlers never see it. */
export interface TransportCapabilities {
  /** `offset`: the runtime commits a watermark per lane. `message`: it settles each message. */
  readonly ackModel: 'offset' | 'message';
  /** Topics have several ordered partitions (lanes). */
  readonly partitions: boolean;
  /** Several members of one group share the load. */
  readonly consumerGroups: boolean;
  /** `OutboundRecord.delayMs` is honoured (or `LaneHandle.nack(delay)` for the message model). */
  readonly nativeDelay: boolean;
  /** The broker routes dead letters itself (the runtime still publishes its own copy). */
  readonly nativeDeadLetter: boolean;
  readonly priority: boolean;
  readonly ttl: boolean;
  /** One `publish(records)` call is atomic: all records become visible together, or none. */
  readonly transactions: boolean;
  /** A new group can read messages published before it subscribed. */
  readonly replay: boolean;
}

/**
 * The exact bytes of a record's key and header values, for brokers whose keys
 * and headers are bytes (Kafka). A connector sets it on an inbound record only
 * where the string form would lose bytes (not valid UTF-8). The runtime copies
 * it unchanged onto the records it derives from that record (retry copies,
 * dead-letter copies), and a connector that sets it must honour it on publish:
 * a byte form wins over the string form of the same key or header.
 */
export interface RawFields {
  readonly key?: Uint8Array;
  readonly headers?: Readonly<Record<string, Uint8Array>>;
}

/** A record on its way to the broker: bytes, already encoded. */
export interface OutboundRecord {
  readonly topic: string;
  readonly key?: string;
  /** Encoded value; `null` is a tombstone (no value at all, Kafka's delete marker). */
  readonly value: Uint8Array | null;
  readonly headers: Headers;
  /** Byte forms of key and headers, copied from an inbound record (see {@link RawFields}). */
  readonly raw?: RawFields;
  readonly partition?: number;
  /** Deliver not before this many ms from now. Only when `capabilities.nativeDelay`. */
  readonly delayMs?: number;
  readonly priority?: number;
  readonly ttlMs?: number;
}

/** A record as the broker delivered it to one lane. */
export interface InboundRecord {
  readonly key: string | undefined;
  /** The value's bytes; `null` for a tombstone, which reaches the handler as `value: null`. */
  readonly value: Uint8Array | null;
  readonly headers: Headers;
  /** Byte forms of key and headers where the strings would lose bytes (see {@link RawFields}). */
  readonly raw?: RawFields;
  /** Broker position as a string. For `ackModel: 'offset'` a non-negative integer. */
  readonly offset: string;
  readonly timestamp: number;
  /** How many times the broker has delivered this record (1 = first), when it knows. */
  readonly deliveryCount?: number;
}

/** Identifies a lane: one (group, topic, partition). Partition is 0 for partitionless brokers. */
export interface LaneId {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
}

/** What the runtime asks for when it subscribes a handler. */
export interface SubscriptionSpec {
  readonly group: string;
  readonly topic: string;
  /** Handler name (for logs and broker-side consumer names). */
  readonly handler: string;
  /** Upper bound of unsettled records the lane will hold; size fetches by it. */
  readonly maxInFlight: number;
  /** Handler timeout; message-model brokers derive their ack wait from it. */
  readonly timeoutMs: number;
  /** Total attempts the runtime will make; brokers with a delivery limit set it above this. */
  readonly maxAttempts: number;
  /** Where a new group starts: `earliest` (default) or `latest`. */
  readonly startFrom: 'earliest' | 'latest';
}

/**
 * The connector's side of one lane, given to the runtime on assignment.
 *
 * Contract: after `revoked` resolved, or after `subscription.close()`, the
 * runtime calls nothing on it. A connector must ignore (not throw on) a
 * `commit` for a lane it no longer owns, and report it as `false`.
 */
export interface LaneHandle {
  readonly id: LaneId;
  /** Stop delivering records to this lane until `resume`. Records already in flight may still arrive. */
  pause(): void;
  resume(): void;
  /**
   * Offset model: store `nextOffset` (one past the last settled record) as the
   * group's position. `metadata` carries settled offsets above it. Resolves
   * `true` when the broker confirmed, `false` when the lane is no longer owned;
   * rejects when the broker failed (the runtime retries).
   */
  commit?(nextOffset: string, metadata?: string): Promise<boolean>;
  /**
   * Message model: the records are done (`ack`), or dead-lettered and must
   * never be delivered again (`term`). Rejects when the broker failed.
   */
  settle?(records: readonly InboundRecord[], outcome: 'ack' | 'term'): Promise<void>;
  /** Message model with native delay: redeliver this record after `delayMs`. */
  nack?(record: InboundRecord, delayMs: number): Promise<void>;
  /** Tell the broker a long-running record is still being worked on (NATS `working()`). */
  touch?(record: InboundRecord): void;
  /** Offset-model metadata stored with the last commit (read once on assignment). */
  readonly committedMetadata?: string;
}

/** Receives one lane's records. Created by the runtime per assignment. */
export interface LaneSink {
  /** Records in broker order. Never called concurrently for one lane. */
  deliver(records: readonly InboundRecord[]): void;
}

/** The runtime's side of a subscription. */
export interface SubscriptionSink {
  /** A lane was assigned to this member. */
  assigned(lane: LaneHandle): LaneSink;
  /** The lane is being taken away: resolves after it drained and made its final commit. */
  revoked(lane: LaneId): Promise<void>;
}

/** A live subscription. */
export interface Subscription {
  /** Stop fetching, revoke every lane (awaiting `sink.revoked`), leave the group. Idempotent. */
  close(): Promise<void>;
}

/** Health of a component: `ok`, `degraded` (working, with reasons), `down`. */
export interface HealthReport {
  readonly status: 'ok' | 'degraded' | 'down';
  readonly reasons: readonly string[];
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * A broker connector. Watermill-sized contract:
 * - `connect` is idempotent; `publish`/`subscribe` before it may connect lazily.
 * - `publish` resolves only once the broker confirmed every record (durably,
 *   as durable as the broker is configured), and rejects otherwise; after
 *   `close` it rejects with `ClosedError`.
 * - `subscribe` delivers lanes through the sink; records are not redelivered
 *   while the runtime holds them unless the broker's own timeout expires.
 * - `close` closes every subscription first (draining lanes), then the
 *   connection. It is idempotent and concurrent calls share one close.
 */
export interface Transport {
  readonly name: string;
  readonly capabilities: TransportCapabilities;
  connect(): Promise<void>;
  publish(records: readonly OutboundRecord[]): Promise<void>;
  subscribe(spec: SubscriptionSpec, sink: SubscriptionSink): Promise<Subscription>;
  health(): Promise<HealthReport>;
  close(): Promise<void>;
}
