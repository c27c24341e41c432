import {
  ClosedError,
  DLQ_HEADERS,
  TopicNotFoundError,
  optionError,
  validateTopicName,
  type Headers,
  type HealthReport,
} from '@partita/core';
import { DeadLetterStore } from '../dead-letter/dead-letter-store.js';
import type { DurableStore } from '../durable/durable-store.js';
import { GroupCoordinator, type CommittedOffset } from '../group/group-coordinator.js';
import type { Partition } from '../log/partition.js';
import type { PartitionHooks } from '../log/partition-hooks.js';
import type { StoredRecord, Usage } from '../log/stored-record.js';
import { Topic } from '../log/topic.js';
import { ValueArena } from '../log/value-arena.js';
import {
  isDeadLetterTopic,
  resolveBrokerOptions,
  resolveTopicOptions,
  reviveTopicOptions,
  type MemoryBrokerOptions,
  type ResolvedBrokerOptions,
  type ResolvedTopicOptions,
  type TopicOptions,
} from '../options/broker-options.js';
import type { BrokerStats, CommitRequest, FetchRequest, PublishRecord, SeekRequest } from './broker-types.js';
import { brokerHealth, brokerStats } from './broker-stats.js';
import { parseOffset } from './record-validation.js';
import { createTransaction, type Transaction } from '../transaction/transaction.js';
import { QueueState, type QueueConsumer, type QueueOptions } from '../queue/queue-consumer.js';
import { RecordAppender } from '../publish/record-appender.js';

/**
 * The embedded broker. Create it with `createMemoryBroker`; share one broker
 * between several apps/transports of a process; `close()` it last.
 */
export class MemoryBroker {
  /** @internal */ readonly options: ResolvedBrokerOptions;
  /** @internal */ readonly coordinator: GroupCoordinator;
  /** @internal */ readonly topicMap = new Map<string, Topic>();
  /** @internal */ readonly usage: Usage = { bytes: 0, messages: 0 };
  /** @internal */ readonly deadLetterStore: DeadLetterStore;
  /** @internal */ readonly positions = new Map<string, number>();
  /** @internal */ durable: DurableStore | undefined;
  private readonly hooks: PartitionHooks;
  private readonly appender = new RecordAppender(this);
  private readonly queues = new Map<string, QueueState>();
  private closed = false;
  private closing: Promise<void> | undefined;
  /** @internal */ published = 0;

  constructor(options: MemoryBrokerOptions = {}, durable?: (o: ResolvedBrokerOptions) => DurableStore) {
    this.options = resolveBrokerOptions(options);
    this.deadLetterStore = new DeadLetterStore(this.usage);
    this.coordinator = new GroupCoordinator((t) => this.topicMap.get(t)?.partitions.length ?? 0);
    this.hooks = {
      wantsSequenced: () => this.durable !== undefined,
      sequenced: (p, recs) => this.durable?.sequenced(p, recs),
      unstaged: (p, recs) => this.durable?.unstaged(p, recs),
      expired: (p, rec, offset) => {
        if (this.topicMap.get(p.topic)!.options.onExpire === 'dead-letter')
          this.deadLetterOwn(p.topic, p.index, rec, offset, 'expired');
      },
      trimmed: (p, base) => {
        if (isDeadLetterTopic(p.topic, this.options)) this.deadLetterStore.dropBelow(p.topic, p.index, base);
      },
    };
    this.coordinator.onAdvance = (t, p) => this.release(t, p);
    if (durable && this.options.dataDir) {
      this.durable = durable(this.options);
      this.coordinator.onCommit = (g, t, p, e) => this.durable?.committed(g, t, p, e);
      for (const t of this.durable.readTopics())
        this.addTopic(t.name, reviveTopicOptions(t.name, t.options, this.options), false);
      for (const o of this.durable.readOffsets())
        this.coordinator.setCommitted(o.group, o.topic, o.partition, o.entry.offset, o.entry.metadata, false);
    }
  }

  private addTopic(name: string, options: ResolvedTopicOptions, persist: boolean): Topic {
    if (persist) validateTopicName(name);
    const topic = new Topic(name, options, this.options.clock, this.usage, this.hooks);
    // dead letters are kept for long: their values go to a per-partition arena (see ValueArena)
    if (isDeadLetterTopic(name, this.options) && !this.durable)
      for (const p of topic.partitions) p.arena = new ValueArena();
    if (persist) this.durable?.topicCreated(name, options);
    if (this.durable) for (const p of topic.partitions) this.durable.recoverPartition(p, name);
    this.topicMap.set(name, topic);
    return topic;
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('the memory broker is closed');
  }

  /** Create a topic (idempotent when it exists with the same partition count). */
  createTopic(name: string, options?: TopicOptions): { name: string; partitions: number } {
    this.assertOpen();
    if (typeof name !== 'string' || name === '')
      throw new TypeError('createTopic(name): name must be a non-empty string');
    const resolved = resolveTopicOptions(name, options, this.options);
    const existing = this.topicMap.get(name);
    if (existing) {
      if (options?.partitions !== undefined && options.partitions !== existing.partitions.length) {
        throw new RangeError(
          `topic "${name}" exists with ${existing.partitions.length} partitions, not ${options.partitions}`,
        );
      }
      return { name, partitions: existing.partitions.length };
    }
    return { name, partitions: this.addTopic(name, resolved, true).partitions.length };
  }

  /** Topic names and partition counts. */
  topics(): { name: string; partitions: number }[] {
    return [...this.topicMap.values()].map((t) => ({ name: t.name, partitions: t.partitions.length }));
  }

  /** @internal The topic, created on demand unless `autoCreateTopics` is false. */
  topic(name: string): Topic {
    const t = this.topicMap.get(name);
    if (t) return t;
    if (!this.options.autoCreateTopics) throw new TopicNotFoundError(name);
    return this.addTopic(name, resolveTopicOptions(name, undefined, this.options), true);
  }

  /**
   * Publish a batch atomically: every record is accepted (visible together,
   * or staged when delayed/prioritised) or none is. Rejects with
   * `BackpressureError` when a limit would be exceeded, `TopicNotFoundError`,
   * `ClosedError`; resolves when durable per the fsync policy.
   */
  publish(records: PublishRecord | readonly PublishRecord[]): Promise<void> {
    try {
      this.publishSync(Array.isArray(records) ? (records as readonly PublishRecord[]) : [records as PublishRecord]);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!this.durable) return this.nextTick();
    return this.options.fsync === 'always' ? this.durable.flush() : this.nextTick().then(() => this.durable!.flush());
  }

  private tick: Promise<void> | undefined;

  /**
   * Resolve on the next macrotask (one shared promise per event-loop turn), so
   * a producer looping on `await publish(...)` lets consumers and timers run.
   */
  private nextTick(): Promise<void> {
    this.tick ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        this.tick = undefined;
        resolve();
      }),
    );
    return this.tick;
  }

  /** Start a transaction: publishes buffered until `commit` (all visible at once) or `rollback` (none). */
  transaction(): Transaction {
    this.assertOpen();
    return createTransaction((records) => this.publish(records));
  }

  /**
   * Queue-style consumer with per-message ack and a visibility timeout
   * (redelivery with `attempt + 1`). Consumers of the same group and topic
   * share state and compete for messages.
   */
  queue(options: QueueOptions): QueueConsumer {
    this.assertOpen();
    if (!options || typeof options.group !== 'string' || options.group === '')
      throw optionError('queue(options)', 'group', 'a non-empty string', options?.group);
    const vt = options.visibilityTimeoutMs ?? 30_000;
    if (typeof vt !== 'number' || !(vt > 0))
      throw optionError('queue(options)', 'visibilityTimeoutMs', 'a number > 0', vt);
    const md = options.maxDeliveries ?? Infinity;
    if (typeof md !== 'number' || !(md >= 1)) throw optionError('queue(options)', 'maxDeliveries', 'a number >= 1', md);
    const t = this.topic(options.topic);
    const k = `${options.group}\u0000${t.name}`;
    let q = this.queues.get(k);
    if (!q) {
      const group = options.group;
      q = new QueueState(t, group, vt, md, this.options.clock, this.coordinator, (p, rec, reason) =>
        this.deadLetterOwn(t.name, p, rec, rec.offset, reason, group),
      );
      this.queues.set(k, q);
    }
    return q;
  }

  /** @internal Synchronous, atomic part of `publish`. */
  publishSync(records: readonly PublishRecord[]): void {
    this.assertOpen();
    this.appender.append(records);
  }

  /** @internal Apply every topic's retention (age moves on without publishes; reads apply it too). */
  retainAll(): void {
    for (const t of this.topicMap.values()) for (const p of t.partitions) p.retain();
  }

  /**
   * Free the records every group of the topic has committed past (called as a
   * group's committed position moves). Durable mode releases only the memory
   * of records that are on disk; the segments leave through retention.
   */
  private release(topic: string, partition: number): void {
    const t = this.topicMap.get(topic);
    const p = t?.partitions[partition];
    if (!p) return;
    let low = Infinity;
    for (const g of this.coordinator.groupsOf(topic)) {
      const c = this.coordinator.committed(g, topic, partition)?.offset;
      if (c === undefined) return;
      if (c < low) low = c;
    }
    if (low === Infinity) return;
    if (this.durable) p.dropHot(low);
    else if (low > p.base) p.trimTo(low);
  }

  /**
   * The broker's own dead letters (expired with `onExpire: 'dead-letter'`,
   * queue consumers past `maxDeliveries`) go to `<topic><deadLetterSuffix>`
   * like the runtime's, with `partita-original-*` and
   * `partita-dead-letter-reason` headers, and `partita-group` when a group
   * failed it (a queue consumer's), which `redriveDeadLetters` needs.
   * Records of a dead-letter topic itself are dropped (counted), never nested.
   */
  /** @internal */ deadLetterOwn(
    topic: string,
    partition: number,
    rec: { key: string | undefined; value: Uint8Array | null; headers: Headers },
    offset: string | undefined,
    reason: string,
    group?: string,
  ): void {
    const origin = this.topicMap.get(topic);
    if (!origin || isDeadLetterTopic(topic, this.options)) return;
    const dlq = topic + this.options.deadLetterSuffix;
    if (!this.topicMap.has(dlq)) this.addTopic(dlq, resolveTopicOptions(dlq, undefined, this.options), true);
    const headers: Record<string, string> = {
      ...rec.headers,
      [DLQ_HEADERS.topic]: topic,
      [DLQ_HEADERS.partition]: String(partition),
      [DLQ_HEADERS.reason]: reason,
    };
    if (offset !== undefined) headers[DLQ_HEADERS.offset] = offset;
    if (rec.key !== undefined) headers[DLQ_HEADERS.key] = rec.key;
    if (group !== undefined) headers[DLQ_HEADERS.group] = group;
    try {
      this.publishSync([{ topic: dlq, ...(rec.key !== undefined ? { key: rec.key } : {}), value: rec.value, headers }]);
    } catch (err) {
      this.options.onWarning(
        `could not dead-letter a record of "${topic}" (${reason}) to "${dlq}": ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /** Raw consume: up to `max` records from the group's position (committed offset, else the earliest retained), advancing it. */
  fetch(req: FetchRequest): readonly StoredRecord[] {
    this.assertOpen();
    const part = this.partitionOf(req.topic, req.partition);
    const k = posKey(req.group, req.topic, req.partition);
    let pos = this.positions.get(k);
    if (pos === undefined) {
      this.coordinator.register(req.group, req.topic);
      pos = this.coordinator.committed(req.group, req.topic, req.partition)?.offset ?? part.base;
    }
    const res = part.read(pos, req.max ?? 1000);
    this.positions.set(k, res.next);
    return res.records;
  }

  /** Raw commit: store the group's position (next offset to consume) and metadata. */
  commit(req: CommitRequest): void {
    this.assertOpen();
    this.partitionOf(req.topic, req.partition);
    this.coordinator.setCommitted(req.group, req.topic, req.partition, parseOffset(req.offset, 'offset'), req.metadata);
  }

  /** Last committed position of a group on a partition. */
  committed(req: { group: string; topic: string; partition: number }): CommittedOffset | undefined {
    return this.coordinator.committed(req.group, req.topic, req.partition);
  }

  /** First offset at or after a timestamp (the end offset when every record is older). */
  offsetForTimestamp(topic: string, partition: number, timestamp: number): number {
    return this.partitionOf(topic, partition).offsetForTimestamp(timestamp);
  }

  /** @internal The partition (its topic created on demand unless `autoCreateTopics` is false). */
  partitionOf(topic: string, partition: number): Partition {
    const t = this.topic(topic);
    const p = t.partitions[partition];
    if (!p)
      throw new RangeError(
        `partition must be an integer in [0, ${t.partitions.length - 1}] for topic "${topic}", got ${partition}`,
      );
    return p;
  }

  /**
   * Move a group's position (replay or skip). Live members owning the
   * partitions are revoked first (they drain and commit), then the position is
   * set and the partitions are assigned again, starting there.
   */
  async seek(req: SeekRequest): Promise<void> {
    this.assertOpen();
    const t = this.topic(req.topic);
    if ((req.offset === undefined) === (req.timestamp === undefined))
      throw new TypeError('seek: give exactly one of "offset" and "timestamp"');
    const parts = req.partition === undefined ? t.partitions : [this.partitionOf(req.topic, req.partition)];
    await this.coordinator.reassign(req.group, req.topic, () => {
      for (const p of parts) {
        let off: number;
        if (req.timestamp !== undefined) off = p.offsetForTimestamp(req.timestamp);
        else if (req.offset === 'earliest') off = p.base;
        else if (req.offset === 'latest') off = p.end;
        else off = Math.max(p.base, Math.min(p.end, parseOffset(req.offset!, 'offset')));
        this.coordinator.setCommitted(req.group, req.topic, p.index, off, undefined);
        this.positions.delete(posKey(req.group, req.topic, p.index));
      }
    });
  }

  /** Counters, depths, lag per group, limits. */
  stats(): BrokerStats {
    this.retainAll();
    return brokerStats(this);
  }

  /** `down` when closed or storage failed; `degraded` when a limit is nearly used; else `ok`. */
  health(): HealthReport {
    return brokerHealth(this);
  }

  /** Whether `close()` was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Revoke every member's lanes, stop timers, flush and close files. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      await this.coordinator.leaveAll();
      for (const q of this.queues.values()) q.close();
      for (const t of this.topicMap.values()) for (const p of t.partitions) p.close();
      await this.durable?.close();
    })();
    return this.closing;
  }
}

/** @internal */
export function posKey(group: string, topic: string, partition: number): string {
  return `${group}\u0000${topic}\u0000${partition}`;
}
