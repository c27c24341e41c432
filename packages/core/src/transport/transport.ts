import type { AttachContext } from '../logger/component-logger.js';
import type { Headers } from '../message/message.js';

/**
 * What a broker can do natively; the runtime adapts, handlers never see it.
 * Every flag is read by the runtime or by the conformance kit (which derives
 * its scenarios from these flags): a connector states facts, nothing more.
 */
export interface TransportCapabilities {
  /**
   * How settled work is told to the broker, and so which {@link LaneHandle}
   * the connector hands out: `offset`, an {@link OffsetLaneHandle} (the
   * runtime commits a watermark per lane); `message`, a
   * {@link MessageLaneHandle} (the runtime settles each message).
   */
  readonly ackModel: 'offset' | 'message';
  /** Topics have several ordered partitions, each its own lane, spread over a group's members. */
  readonly partitions: boolean;
  /** Several members of one group share the load, each message going to one of them. */
  readonly consumerGroups: boolean;
  /**
   * Delayed redelivery without a retry topic: `OutboundRecord.delayMs` is
   * honoured (offset model), `MessageLaneHandle.nack(record, delayMs)` works
   * (message model). The runtime's `retry.mode: 'delayed'` needs it.
   */
  readonly nativeDelay: boolean;
  /** `OutboundRecord.priority` is honoured; publishing one without it is refused. */
  readonly priority: boolean;
  /** `OutboundRecord.ttlMs` is honoured; publishing one without it is refused. */
  readonly ttl: boolean;
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
  /**
   * The broker delivered this record before (to this member or another),
   * whether or not a handler ran: a record handed back unhandled by a stopping
   * member comes back with `deliveryCount` 1 but `redelivered` true, so it may
   * arrive after later records of its key. Set by brokers that tell.
   */
  readonly redelivered?: boolean;
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
  /**
   * The handler's ordering. Brokers that keep per-key order themselves pick
   * their storage by it (SQS: a FIFO queue for `key` and `partition`, a
   * standard queue for `none`); absent means `key`, the handler default.
   */
  readonly ordering?: 'key' | 'partition' | 'none';
}

/**
 * What every lane handle has, whatever its ack model.
 *
 * Contract: after `revoked` resolved, or after `subscription.close()`, the
 * runtime calls nothing on it.
 */
interface LaneHandleBase {
  readonly id: LaneId;
  /** Stop delivering records to this lane until `resume`. Records already in flight may still arrive. */
  pause(): void;
  resume(): void;
}

/**
 * The connector's side of one lane of an offset-model broker (Kafka, the
 * embedded broker): the group's position is one offset per lane.
 */
export interface OffsetLaneHandle extends LaneHandleBase {
  readonly ackModel: 'offset';
  /**
   * Store `nextOffset` (one past the last settled record) as the group's
   * position. `metadata` carries settled offsets above it. Resolves `true`
   * when the broker confirmed, `false` when the lane is no longer owned (a
   * connector must not throw for a lane it lost); rejects when the broker
   * failed (the runtime retries).
   */
  commit(nextOffset: string, metadata?: string): Promise<boolean>;
  /** Metadata stored with the group's last commit, read once on assignment. */
  readonly committedMetadata?: string;
}

/**
 * The connector's side of one lane of a message-model broker (NATS
 * JetStream, RabbitMQ, Redis Streams, SQS): each message is settled on its own.
 */
export interface MessageLaneHandle extends LaneHandleBase {
  readonly ackModel: 'message';
  /**
   * The records are done (`ack`), or dead-lettered and must never be
   * delivered again (`term`). Rejects when the broker failed; the runtime
   * reports it and relies on the broker's redelivery.
   */
  settle(records: readonly InboundRecord[], outcome: 'ack' | 'term'): Promise<void>;
  /**
   * Redeliver this record after `delayMs`. Called only when
   * `capabilities.nativeDelay`; a connector without it rejects with an
   * error naming the missing capability. Rejects when the broker failed
   * (the runtime then retries in process).
   */
  nack(record: InboundRecord, delayMs: number): Promise<void>;
}

/**
 * The connector's side of one lane, given to the runtime on assignment. Its
 * `ackModel` matches `capabilities.ackModel`, so the compiler, not a runtime
 * check, guarantees `commit` for offset lanes and `settle` for message lanes.
 */
export type LaneHandle = OffsetLaneHandle | MessageLaneHandle;

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
 * - `attach`, when present, is called by `createApp` before anything else:
 *   the connector logs to the app's logger from then on (see
 *   `ComponentLogger`, which implements the rule: the connector's own
 *   `logger` option wins, else the first app attached, else `defaultLogger()`).
 */
export interface Transport {
  readonly name: string;
  readonly capabilities: TransportCapabilities;
  /** Receive the app's logger (optional; see above). Must not throw. */
  attach?(context: AttachContext): void;
  connect(): Promise<void>;
  publish(records: readonly OutboundRecord[]): Promise<void>;
  subscribe(spec: SubscriptionSpec, sink: SubscriptionSink): Promise<Subscription>;
  health(): Promise<HealthReport>;
  close(): Promise<void>;
}
