import {
  BackpressureError,
  DLQ_HEADERS,
  MessageRejectedError,
  MessageTooLargeError,
  type Headers,
} from '@partita/core';
import type { MemoryBroker } from '../broker/memory-broker.js';
import type { PublishRecord } from '../broker/broker-types.js';
import { validateRecord } from '../broker/record-validation.js';
import { partitionForKey } from '@partita/core';
import type { Partition } from '../log/partition.js';
import { heldBytes, recordBytes, type StagedRecord } from '../log/stored-record.js';
import type { Topic } from '../log/topic.js';
import { isDeadLetterTopic } from '../options/broker-options.js';

const EMPTY_HEADERS: Headers = Object.freeze({});

/**
 * The broker's publish path: validates a batch, checks the topic and broker
 * limits (reclaiming what every group committed past before refusing with
 * `BackpressureError`), then appends each record to its partition (or stages
 * it: delayed, prioritised), writes durable batches through to disk, and
 * indexes records that land in a dead-letter topic. All or nothing: nothing
 * is written when a record or a limit fails.
 */
export class RecordAppender {
  constructor(private readonly broker: MemoryBroker) {}

  /** Append a validated batch to its partitions, all or nothing (limits are checked before anything is written). */
  append(records: readonly PublishRecord[]): void {
    const n = records.length;
    if (n === 0) return;
    const now = this.broker.options.clock.now();
    const topics = new Array<Topic>(n);
    const parts = new Int32Array(n);
    const sizes = new Float64Array(n);
    const offsets = new Float64Array(n);
    let lastName: string | undefined;
    let last: Topic | undefined;
    let batchBytes = 0;
    const perTopic = new Map<Topic, { bytes: number; messages: number }>();
    let acc = { bytes: 0, messages: 0 };
    for (let i = 0; i < n; i++) {
      const r = records[i]!;
      validateRecord(r, i);
      let t: Topic;
      if (r.topic === lastName) t = last!;
      else {
        t = last = this.broker.topic((lastName = r.topic));
        const existing = perTopic.get(t);
        if (existing) acc = existing;
        else perTopic.set(t, (acc = { bytes: 0, messages: 0 }));
      }
      topics[i] = t;
      const count = t.partitions.length;
      let p: number;
      if (r.partition !== undefined) {
        if (r.partition >= count)
          throw new RangeError(
            `records[${i}].partition must be an integer in [0, ${count - 1}] for topic "${t.name}", got ${r.partition}`,
          );
        p = r.partition;
      } else if (r.key !== undefined) p = count === 1 ? 0 : partitionForKey(r.key, count);
      else p = t.rr++ % count;
      parts[i] = p;
      const headers = r.headers ?? EMPTY_HEADERS;
      const payload = recordBytes(r.key, r.value, headers);
      if (payload > t.options.maxMessageBytes) {
        throw new MessageTooLargeError(
          `records[${i}] is ${payload} bytes (key + value + headers), above maxMessageBytes ${t.options.maxMessageBytes} of topic "${t.name}"`,
          { maxBytes: t.options.maxMessageBytes },
        );
      }
      if (r.value === null && this.broker.durable)
        throw new MessageRejectedError(`records[${i}]: durable mode does not store tombstones (value: null) yet`);
      const size = heldBytes(payload, headers);
      sizes[i] = size;
      batchBytes += size;
      acc.bytes += size;
      acc.messages++;
    }
    this.checkLimits(perTopic, batchBytes, n);
    const touched: Partition[] = [];
    const durable = this.broker.durable;
    for (let i = 0; i < n; i++) {
      const r = records[i]!;
      const t = topics[i]!;
      const part = t.partitions[parts[i]!]!;
      if (part.touchedFrom < 0) {
        part.touchedFrom = part.end;
        touched.push(part);
      }
      const priority = r.priority ?? 0;
      const delay = r.delayMs;
      const dueAt =
        r.deliverAt === undefined ? (delay ? now + delay : 0) : Math.max(delay ? now + delay : 0, r.deliverAt);
      const expiresAt = r.ttlMs !== undefined ? now + r.ttlMs : 0;
      const headers = r.headers ?? EMPTY_HEADERS;
      const value = r.value;
      if (part.canAppendNow(priority, dueAt, now)) {
        if (durable) {
          offsets[i] = part.end + part.pendingIdx.length;
          part.pendingIdx.push(i);
        } else {
          offsets[i] = part.end;
          part.appendNow(r.key, value, headers, expiresAt, sizes[i]!, priority, now);
        }
      } else {
        offsets[i] = -1;
        const staged: StagedRecord = {
          key: r.key,
          value,
          headers,
          priority,
          expiresAt,
          dueAt,
          bytes: sizes[i]!,
          publishedAt: now,
          stageId: 0,
        };
        this.broker.durable?.staged(part, staged);
        part.stage(staged);
      }
    }
    this.broker.published += n;
    for (const [t, u] of perTopic) {
      t.usage.bytes += u.bytes;
      t.usage.messages += u.messages;
      t.published += u.messages;
    }
    this.broker.usage.bytes += batchBytes;
    this.broker.usage.messages += n;
    try {
      if (durable)
        for (const part of touched) if (part.pendingIdx.length > 0) this.writeThrough(part, records, sizes, now);
    } finally {
      for (const part of touched) {
        const from = part.touchedFrom;
        part.touchedFrom = -1;
        part.pendingIdx.length = 0;
        part.commitAppended(from);
      }
    }
    for (const t of perTopic.keys()) {
      if (isDeadLetterTopic(t.name, this.broker.options)) {
        this.indexDeadLetters(records, topics, parts, offsets);
        break;
      }
    }
    for (const part of touched) part.retain();
  }

  /** Durable fast path: write the partition's share of the batch straight to disk; it takes no memory. */
  private writeThrough(part: Partition, records: readonly PublishRecord[], sizes: Float64Array, now: number): void {
    const idx = part.pendingIdx;
    part.pendingIdx = [];
    const ts = part.stamp(now);
    this.broker.durable!.appendPublished(part, records, idx, part.end, ts, now);
    part.appendWritten(idx.length, ts);
    let bytes = 0;
    for (const i of idx) bytes += sizes[i]!;
    const t = this.broker.topicMap.get(part.topic)!;
    t.usage.bytes -= bytes;
    t.usage.messages -= idx.length;
    this.broker.usage.bytes -= bytes;
    this.broker.usage.messages -= idx.length;
  }

  /** Index the records just appended to dead-letter topics by position (records still staged, i.e. delayed, are not indexed). */
  private indexDeadLetters(
    records: readonly PublishRecord[],
    topics: Topic[],
    parts: Int32Array,
    offsets: Float64Array,
  ): void {
    const suffix = this.broker.options.deadLetterSuffix;
    for (let i = 0; i < records.length; i++) {
      const t = topics[i]!;
      if (!isDeadLetterTopic(t.name, this.broker.options) || offsets[i]! < 0) continue;
      const h = records[i]!.headers ?? EMPTY_HEADERS;
      const original = h[DLQ_HEADERS.topic] ?? t.name.slice(0, -suffix.length);
      const reason = h[DLQ_HEADERS.reason] ?? h[DLQ_HEADERS.errorName] ?? 'unknown';
      this.broker.deadLetterStore.add({
        topic: original,
        reason,
        deadLetterTopic: t.name,
        deadLetterPartition: parts[i]!,
        deadLetterOffset: offsets[i]!,
      });
      const origin = this.broker.topicMap.get(original);
      if (origin) origin.deadLettered++;
    }
  }

  private checkLimits(
    perTopic: Map<Topic, { bytes: number; messages: number }>,
    bytes: number,
    messages: number,
  ): void {
    for (const [t, u] of perTopic) {
      const o = t.options;
      if (t.usage.bytes + u.bytes > o.maxBytes || t.usage.messages + u.messages > o.maxMessages) {
        this.reclaim(t);
        if (t.usage.bytes + u.bytes > o.maxBytes)
          throw new BackpressureError(
            `topic "${t.name}" is full: ${t.usage.bytes} + ${u.bytes} bytes exceeds maxBytes ${o.maxBytes}; consume and commit, or raise the limit`,
          );
        if (t.usage.messages + u.messages > o.maxMessages)
          throw new BackpressureError(
            `topic "${t.name}" is full: ${t.usage.messages} + ${u.messages} records exceeds maxMessages ${o.maxMessages}; consume and commit, or raise the limit`,
          );
      }
    }
    const g = this.broker.options;
    if (this.broker.usage.bytes + bytes > g.maxBytes || this.broker.usage.messages + messages > g.maxMessages) {
      for (const t of this.broker.topicMap.values()) this.reclaim(t);
      if (this.broker.usage.bytes + bytes > g.maxBytes)
        throw new BackpressureError(
          `broker is full: ${this.broker.usage.bytes} + ${bytes} bytes exceeds maxBytes ${g.maxBytes}; consume and commit, or raise the limit`,
        );
      if (this.broker.usage.messages + messages > g.maxMessages)
        throw new BackpressureError(
          `broker is full: ${this.broker.usage.messages} + ${messages} records exceeds maxMessages ${g.maxMessages}; consume and commit, or raise the limit`,
        );
    }
  }

  /** Drop records every known group of the topic has committed past (never unconsumed ones); durable mode first releases memory of records on disk. */
  private reclaim(t: Topic): void {
    // durable mode: records in memory are also on disk, so memory can always be released
    if (this.broker.durable) {
      for (const p of t.partitions) p.dropHot(p.end);
      return; // on disk, records leave only through retention
    }
    const groups = this.broker.coordinator.groupsOf(t.name);
    if (groups.length === 0) return;
    for (const p of t.partitions) {
      let low = Infinity;
      for (const g of groups)
        low = Math.min(low, this.broker.coordinator.committed(g, t.name, p.index)?.offset ?? p.base);
      if (low > p.base) p.trimTo(low);
    }
  }
}
