import { isUtf8 } from 'node:buffer';
import type { InboundRecord, OffsetLaneHandle, LaneId, LaneSink, RawFields, TimerHandle } from '@partita/core';

/**
 * The connector's bookkeeping for one assigned Kafka partition (one lane).
 *
 * A lane lives from the assignment that gave this member the partition until
 * the first assignment without it (or a change of member id, which means the
 * coordinator dropped this member). `owned` turns false at that moment, before
 * `sink.revoked` is called, so every later `commit` reports `false`.
 */
export interface KafkaLane {
  readonly key: string;
  readonly id: LaneId;
  /** The Kafka topic of the partition: the subscribed topic or one of its retry tiers. */
  readonly kafkaTopic: string;
  readonly partition: number;
  /** Records come from a retry-tier topic and are held until `partita-deliver-at`. */
  readonly tier: boolean;
  owned: boolean;
  handle: OffsetLaneHandle | undefined;
  sink: LaneSink | undefined;
  /** Resolves once `sink.assigned` returned (the lane accepts records). */
  ready: Promise<void>;
  /** One past the last offset delivered to the sink (dedupes kafkajs re-fetches after a rejoin). */
  nextExpected: bigint | undefined;
  /** Set while a batch of this lane waits to be delivered; resolves once it was. */
  queued: Promise<void> | undefined;
  /** The runtime asked to pause. */
  runtimePaused: boolean;
  /** A retry-tier head record is not due yet. */
  held: boolean;
  holdTimer: TimerHandle | undefined;
  /** Last offset this member committed for the lane. */
  committed: string | undefined;
  /**
   * Set while the group's start offset is being committed for a partition
   * the group had no offset for (so lag shows a backlog before the first
   * record is settled); the lane's own commits wait for it.
   */
  initialCommit: Promise<void> | undefined;
}

/** A lane just assigned to this member: owned, nothing delivered or committed yet. */
export function createKafkaLane(group: string, kafkaTopic: string, partition: number, tier: boolean): KafkaLane {
  return {
    key: laneKey(kafkaTopic, partition),
    id: { group, topic: kafkaTopic, partition },
    kafkaTopic,
    partition,
    tier,
    owned: true,
    handle: undefined,
    sink: undefined,
    ready: Promise.resolve(),
    nextExpected: undefined,
    queued: undefined,
    runtimePaused: false,
    held: false,
    holdTimer: undefined,
    committed: undefined,
    initialCommit: undefined,
  };
}

export function laneKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

const decoder = new TextDecoder();

type KafkaHeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/**
 * kafkajs message → `InboundRecord`. Key and header values become UTF-8
 * strings; where the bytes are not valid UTF-8 (the string would lose bytes)
 * the exact bytes are kept in `raw` as well, so retry and dead-letter copies
 * carry them unchanged. Repeated headers keep the last. A null value (a
 * tombstone) stays `null`.
 */
export function toInboundRecord(message: {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, KafkaHeaderValue>;
  offset: string;
  timestamp: string;
}): InboundRecord {
  const headers: Record<string, string> = {};
  let rawHeaders: Record<string, Uint8Array> | undefined;
  const source = message.headers;
  if (source) {
    for (const k in source) {
      if (!Object.hasOwn(source, k)) continue;
      const v = source[k];
      const last = Array.isArray(v) ? v[v.length - 1] : v;
      if (last === undefined) continue;
      if (typeof last === 'string') {
        headers[k] = last;
        continue;
      }
      headers[k] = decoder.decode(last);
      if (!isUtf8(last)) (rawHeaders ??= {})[k] = last;
    }
  }
  const key = message.key ?? undefined;
  const rawKey = key !== undefined && !isUtf8(key) ? key : undefined;
  const raw: RawFields | undefined =
    rawKey !== undefined || rawHeaders !== undefined
      ? {
          ...(rawKey !== undefined ? { key: rawKey } : {}),
          ...(rawHeaders !== undefined ? { headers: rawHeaders } : {}),
        }
      : undefined;
  return {
    key: key === undefined ? undefined : decoder.decode(key),
    value: message.value ?? null,
    headers,
    ...(raw !== undefined ? { raw } : {}),
    offset: message.offset,
    timestamp: Number(message.timestamp),
  };
}
