import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { InboundRecord, OffsetLaneHandle, Subscription, SubscriptionSink, SubscriptionSpec } from '@partita/core';
import { ConnectionError } from '@partita/core';
import { mapKafkaError } from '../errors/map-kafka-error.js';
import type { ResolvedKafkaOptions } from '../options/kafka-options.js';
import { DELIVER_AT_HEADER } from '../topics/retry-tiers.js';
import { GenerationGuard, GROUP_CHANGE, kafkaErrorType, SESSION_LOST } from './generation-guard.js';
import { laneKey, toInboundRecord, type KafkaLane } from './kafka-lane.js';

/**
 * One kafkajs consumer in `spec.group`, subscribed to `spec.topic` and its
 * retry tiers. Lane mapping: one lane per assigned Kafka partition. A lane of
 * the main topic has `id.topic = spec.topic`; a retry-tier partition is its
 * own lane with `id.topic = "<topic>.retry.<tier>"` (its own offset space,
 * so its own watermark), and its records are held until due.
 *
 * Rebalance (kafkajs has no revoke callback): on `GROUP_JOIN` the new
 * assignment is compared with the lanes held. Lanes not in it (all of them
 * when the member id changed: the coordinator dropped this member) stop being
 * owned at once, so their commits report `false`, and are revoked through
 * `sink.revoked`; new partitions become lanes after that, with the commit
 * metadata read from the group. Every `eachBatch` waits for that barrier
 * (heartbeating meanwhile), so no record of the new assignment is delivered
 * before the lost lanes drained. Retained lanes keep their sink; kafkajs
 * re-fetches them from the committed offset after a rejoin, so the lane seeks
 * to its next expected offset and drops records it already delivered.
 *
 * Zombie guard (see `GenerationGuard`): a commit is sent only while the
 * generation is confirmed. A commit the broker refused for generation or
 * membership reasons is never retried: its lane is lost (revoked; a new lane
 * if the partition comes back). A stall past the session timeout loses every
 * lane at once, and so does any rejoin after the session was lost, even when
 * kafkajs kept the member id.
 */
export class KafkaSubscription implements Subscription {
  readonly #lanes = new Map<string, KafkaLane>();
  readonly #tierTopics: ReadonlySet<string>;
  #consumer: Consumer;
  #memberId: string | undefined;
  #barrier: Promise<void> = Promise.resolve();
  #joinWaiters: (() => void)[] = [];
  #closing: Promise<void> | undefined;
  #crashed: unknown;
  #running = false;
  /** Counter of confirmed commits per lane key (kafkajs resolves `commitOffsets` without committing while its runner is stopped). */
  readonly #commitSeq = new Map<string, number>();
  #seq = 0;
  readonly #guard: GenerationGuard;
  /** Batches handed over by `eachBatch`, delivered on the next check phase (see `#enqueue`). */
  #pending: { lane: KafkaLane; records: InboundRecord[] }[] = [];
  #flushDone: Promise<void> | undefined;

  constructor(
    kafka: Kafka,
    private readonly admin: () => Promise<Admin>,
    private readonly spec: SubscriptionSpec,
    private readonly sink: SubscriptionSink,
    private readonly options: ResolvedKafkaOptions,
    private readonly topics: readonly string[],
    tierTopics: readonly string[],
  ) {
    this.#tierTopics = new Set(tierTopics);
    this.#guard = new GenerationGuard(options.clock, options.sessionTimeoutMs, options.heartbeatIntervalMs, (ms) =>
      this.#revokeAll(`the process stalled for ${ms} ms, past the session timeout: this member's lanes are zombies`),
    );
    this.#consumer = kafka.consumer({
      groupId: spec.group,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      rebalanceTimeout: options.rebalanceTimeoutMs,
      maxBytesPerPartition: options.maxBytesPerPartition,
      maxWaitTimeInMs: options.maxWaitTimeMs,
      allowAutoTopicCreation: false,
    });
    const ev = this.#consumer.events;
    this.#consumer.on(ev.GROUP_JOIN, ({ payload }) => this.#onJoin(payload.memberId, payload.memberAssignment));
    this.#consumer.on(ev.COMMIT_OFFSETS, ({ payload }) => {
      const seq = ++this.#seq;
      for (const t of payload.topics)
        for (const p of t.partitions) this.#commitSeq.set(laneKey(t.topic, Number(p.partition)), seq);
    });
    this.#consumer.on(ev.REBALANCING, () => this.#guard.refused('REBALANCE_IN_PROGRESS'));
    this.#consumer.on(ev.CRASH, ({ payload }) => {
      this.#running = false;
      this.#crashed = payload.error;
      options.logger?.warn('kafka consumer crashed', {
        group: spec.group,
        restart: payload.restart,
        error: payload.error?.message,
      });
      if (!payload.restart) {
        this.#guard.stop();
        this.#revokeAll('consumer crashed without restart');
      }
    });
  }

  /** Subscribes and starts the consumer; resolves once kafkajs runs (the first assignment may follow). */
  async start(): Promise<void> {
    try {
      this.#guard.start();
      await this.#consumer.connect();
      await this.#consumer.subscribe({ topics: [...this.topics], fromBeginning: this.spec.startFrom !== 'latest' });
      await this.#consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.#onBatch(payload),
      });
    } catch (err) {
      this.#guard.stop();
      await this.#consumer.disconnect().catch(() => {});
      throw mapKafkaError(err, `subscribe(${this.spec.topic})`, this.spec.topic);
    }
  }

  /** Lanes this member owns now (for health). */
  lanes(): readonly KafkaLane[] {
    return [...this.#lanes.values()].filter((l) => l.owned);
  }

  get crashed(): unknown {
    return this.#running ? undefined : this.#crashed;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const lanes = [...this.#lanes.values()];
      if (lanes.length > 0)
        this.#safe('pause', (c) => c.pause(lanes.map((l) => ({ topic: l.kafkaTopic, partitions: [l.partition] }))));
      await this.#barrier.catch(() => {});
      // Drain with the consumer still in the group, so final commits land.
      await Promise.all(
        lanes.map(async (l) => {
          await this.#revokeOne(l);
          this.#disown(l);
        }),
      );
      this.#lanes.clear();
      for (const w of this.#joinWaiters.splice(0)) w();
      this.#guard.stop();
      await this.#consumer.disconnect().catch(() => {});
    })();
    return this.#closing;
  }

  #onJoin(memberId: string, assignment: Record<string, number[]>): void {
    this.#running = true;
    this.#crashed = undefined;
    // A lane held across a rejoin after the session was lost is a zombie, even with the same member id.
    const sessionLost = this.#guard.joined();
    const memberChanged = sessionLost || (this.#memberId !== undefined && this.#memberId !== memberId);
    this.#memberId = memberId;
    const assigned = new Set<string>();
    for (const [topic, partitions] of Object.entries(assignment))
      for (const p of partitions) assigned.add(laneKey(topic, p));
    const lost: KafkaLane[] = [];
    for (const lane of this.#lanes.values()) {
      if (memberChanged || !assigned.has(lane.key)) lost.push(lane);
    }
    for (const lane of lost) {
      this.#disown(lane);
      this.#lanes.delete(lane.key);
    }
    const gained: KafkaLane[] = [];
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const key = laneKey(topic, partition);
        const kept = this.#lanes.get(key);
        if (kept) {
          // kafkajs restarts retained partitions from the committed offset after a rejoin.
          const next = kept.nextExpected;
          if (next !== undefined) this.#safe('seek', (c) => c.seek({ topic, partition, offset: next.toString() }));
          continue;
        }
        const lane = this.#newLane(topic, partition);
        this.#lanes.set(key, lane);
        gained.push(lane);
      }
    }
    const previous = this.#barrier;
    this.#barrier = (async () => {
      await previous.catch(() => {});
      await Promise.all(lost.map((l) => this.#revokeOne(l)));
      await this.#assign(gained);
    })();
    for (const w of this.#joinWaiters.splice(0)) w();
  }

  #newLane(kafkaTopic: string, partition: number): KafkaLane {
    const lane: KafkaLane = {
      key: laneKey(kafkaTopic, partition),
      id: { group: this.spec.group, topic: kafkaTopic, partition },
      kafkaTopic,
      partition,
      tier: this.#tierTopics.has(kafkaTopic),
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
    };
    return lane;
  }

  async #assign(gained: KafkaLane[]): Promise<void> {
    if (gained.length === 0) return;
    const metadata = new Map<string, { offset: string; metadata: string | null }>();
    try {
      const admin = await this.admin();
      const topics = [...new Set(gained.map((l) => l.kafkaTopic))];
      for (const t of await admin.fetchOffsets({ groupId: this.spec.group, topics })) {
        for (const p of t.partitions) metadata.set(laneKey(t.topic, p.partition), p);
      }
    } catch (err) {
      this.options.logger?.warn('could not read committed offsets metadata; lanes start without it', {
        error: String(err),
      });
    }
    for (const lane of gained) {
      if (!lane.owned) continue;
      const committed = metadata.get(lane.key);
      if (committed && committed.offset !== '-1') lane.committed = committed.offset;
      const handle = this.#handle(lane, committed?.metadata ?? undefined);
      lane.handle = handle;
      lane.sink = this.sink.assigned(handle);
    }
  }

  #handle(lane: KafkaLane, committedMetadata: string | undefined): OffsetLaneHandle {
    return {
      ackModel: 'offset',
      id: lane.id,
      ...(committedMetadata ? { committedMetadata } : {}),
      pause: () => {
        if (!lane.owned || lane.runtimePaused) return;
        lane.runtimePaused = true;
        if (!lane.held) this.#safe('pause', (c) => c.pause([{ topic: lane.kafkaTopic, partitions: [lane.partition] }]));
      },
      resume: () => {
        if (!lane.owned || !lane.runtimePaused) return;
        lane.runtimePaused = false;
        if (!lane.held)
          this.#safe('resume', (c) => c.resume([{ topic: lane.kafkaTopic, partitions: [lane.partition] }]));
      },
      commit: (nextOffset, metadata) => this.#commit(lane, nextOffset, metadata),
    };
  }

  async #commit(lane: KafkaLane, nextOffset: string, metadata: string | undefined): Promise<boolean> {
    let md: string | null = metadata ?? null;
    if (md !== null && Buffer.byteLength(md) > this.options.maxCommitMetadataBytes) {
      this.options.logger?.warn('commit metadata too large; committing the watermark without it', {
        lane: lane.id,
        bytes: Buffer.byteLength(md),
      });
      md = null;
    }
    for (let attempt = 0; ; attempt++) {
      // Sampling here catches a stall before anything else runs after a SIGCONT (I/O callbacks precede timers).
      this.#guard.sample();
      if (!lane.owned || (this.#closing && !this.#lanes.has(lane.key))) return false;
      if (!this.#running || !this.#guard.confirmed) {
        // No commit while the generation is unconfirmed: wait for the join, then commit only if the lane survived it.
        if (attempt >= 3)
          throw new ConnectionError(
            `kafka commit for ${lane.kafkaTopic}/${lane.partition} failed: the consumer is not in the group`,
            { cause: this.#crashed },
          );
        await this.#nextJoin(this.#running ? this.options.rebalanceTimeoutMs : this.options.sessionTimeoutMs);
        continue;
      }
      const before = this.#seq;
      try {
        await this.#consumer.commitOffsets([
          { topic: lane.kafkaTopic, partition: lane.partition, offset: nextOffset, metadata: md },
        ]);
      } catch (err) {
        this.#guard.sample();
        const type = kafkaErrorType(err) ?? '';
        if (GROUP_CHANGE.has(type)) {
          // Refused for generation/membership: never retried (a retry could land under a later generation and
          // move the group's offset back). The lane is lost; a new lane takes over if the partition comes back.
          this.#refused(lane, type);
          return false;
        }
        if (!lane.owned) return false;
        throw mapKafkaError(err, `commit ${lane.kafkaTopic}/${lane.partition}`);
      }
      // A stall while the commit was in flight: the answer may predate the stall, but the lane is a zombie now.
      if (this.#guard.sample() || !lane.owned) return false;
      if ((this.#commitSeq.get(lane.key) ?? 0) <= before) {
        // kafkajs skipped the commit (its runner is not running: crash, restart, rejoin): nothing was sent.
        // Retry once it joined again, if the lane is still owned then.
        if (attempt >= 3)
          throw new ConnectionError(
            `kafka commit for ${lane.kafkaTopic}/${lane.partition} was not sent: the consumer is not running`,
          );
        await this.#nextJoin(this.options.sessionTimeoutMs);
        continue;
      }
      lane.committed = nextOffset;
      return true;
    }
  }

  /** The broker refused a request with a `GROUP_CHANGE` code: stop committing until the next join; lose `lane` (every lane when the session is gone). */
  #refused(lane: KafkaLane | undefined, type: string): void {
    this.#guard.refused(type);
    if (SESSION_LOST.has(type)) {
      if (this.#lanes.size > 0) this.#revokeAll(`the coordinator refused this member (${type})`);
      return;
    }
    if (!lane || !lane.owned) return;
    this.#disown(lane);
    if (this.#lanes.get(lane.key) === lane) this.#lanes.delete(lane.key);
    this.#revoke([lane]);
  }

  #nextJoin(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const t = this.options.clock.setTimeout(done, timeoutMs);
      const self = this;
      function done(): void {
        self.options.clock.clearTimeout(t);
        resolve();
      }
      this.#joinWaiters.push(done);
    });
  }

  async #onBatch({ batch, resolveOffset, heartbeat, isRunning }: EachBatchPayload): Promise<void> {
    this.#guard.sample();
    await this.#awaitBarrier(heartbeat);
    const lane = this.#lanes.get(laneKey(batch.topic, batch.partition));
    if (!lane || !lane.owned || lane.held || !isRunning()) return;
    await lane.ready;
    // At most one undelivered batch per lane: wait for the previous one to reach the sink.
    while (lane.queued !== undefined) await lane.queued;
    if (!lane.sink || !lane.owned || lane.held) return;
    const records: InboundRecord[] = [];
    let hold: number | undefined;
    const messages = batch.messages;
    let skipBelow = lane.nextExpected;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (skipBelow !== undefined) {
        // Offsets grow within a batch: only the head can repeat what was delivered before a rejoin.
        if (BigInt(m.offset) < skipBelow) continue;
        skipBelow = undefined;
      }
      const record = toInboundRecord(m);
      if (lane.tier) {
        const due = Number(record.headers[DELIVER_AT_HEADER] ?? 0);
        if (due > this.options.clock.now()) {
          hold = due;
          break;
        }
      }
      records.push(record);
    }
    if (records.length > 0) {
      const last = records[records.length - 1]!;
      lane.nextExpected = BigInt(last.offset) + 1n;
      this.#enqueue(lane, records);
      resolveOffset(hold === undefined ? batch.lastOffset() : last.offset);
    } else if (hold === undefined) {
      resolveOffset(batch.lastOffset());
    }
    if (hold !== undefined) this.#hold(lane, hold);
  }

  /**
   * Hands `records` to the lane's sink on the next check phase, after
   * `eachBatch` returned: kafkajs sends its next fetch only once every batch
   * of the previous one was handled, so delivering (and running inline
   * handlers) after that lets the broker prepare the next fetch meanwhile.
   * Records of a lane that is no longer owned by then (or after `close`
   * began) are dropped: they were never committed, so the group's next
   * owner reads them again.
   */
  #enqueue(lane: KafkaLane, records: InboundRecord[]): void {
    this.#pending.push({ lane, records });
    if (this.#flushDone === undefined) {
      this.#flushDone = new Promise<void>((resolve) => setImmediate(() => this.#flush(resolve)));
    }
    lane.queued = this.#flushDone;
  }

  #flush(done: () => void): void {
    const pending = this.#pending;
    this.#pending = [];
    this.#flushDone = undefined;
    try {
      for (const { lane, records } of pending) {
        lane.queued = undefined;
        if (!lane.owned || !lane.sink || this.#closing) continue;
        try {
          lane.sink.deliver(records);
        } catch (err) {
          this.options.logger?.error('lane sink rejected records', { lane: lane.id, error: String(err) });
        }
      }
    } finally {
      done();
    }
  }

  /** Stop fetching a retry-tier partition until its head record is due. */
  #hold(lane: KafkaLane, dueAt: number): void {
    lane.held = true;
    if (!lane.runtimePaused)
      this.#safe('pause', (c) => c.pause([{ topic: lane.kafkaTopic, partitions: [lane.partition] }]));
    lane.holdTimer = this.options.clock.setTimeout(
      () => {
        lane.holdTimer = undefined;
        lane.held = false;
        if (lane.owned && !lane.runtimePaused)
          this.#safe('resume', (c) => c.resume([{ topic: lane.kafkaTopic, partitions: [lane.partition] }]));
      },
      Math.max(0, dueAt - this.options.clock.now()),
    );
  }

  async #awaitBarrier(heartbeat: () => Promise<void>): Promise<void> {
    let settled = false;
    const barrier = this.#barrier.finally(() => {
      settled = true;
    });
    while (!settled) {
      await Promise.race([
        barrier,
        new Promise<void>((r) => this.options.clock.setTimeout(r, this.options.heartbeatIntervalMs)),
      ]);
      if (!settled) {
        await heartbeat().catch((err: unknown) => {
          const type = kafkaErrorType(err) ?? '';
          if (GROUP_CHANGE.has(type)) this.#refused(undefined, type);
          throw err;
        });
      }
    }
  }

  /** kafkajs throws from pause/resume/seek while its consumer group is not initialised (before run, after a crash). */
  #safe(what: string, fn: (c: Consumer) => void): void {
    try {
      fn(this.#consumer);
    } catch (err) {
      this.options.logger?.debug(`kafka consumer ${what} skipped`, { error: String(err) });
    }
  }

  #disown(lane: KafkaLane): void {
    lane.owned = false;
    if (lane.holdTimer !== undefined) this.options.clock.clearTimeout(lane.holdTimer);
    lane.holdTimer = undefined;
    // Leave the kafkajs pause state clean for a later owner of the same partition in this member.
    if (lane.runtimePaused || lane.held)
      this.#safe('resume', (c) => c.resume([{ topic: lane.kafkaTopic, partitions: [lane.partition] }]));
  }

  #revokeAll(reason: string): void {
    const lanes = [...this.#lanes.values()].filter((l) => l.owned);
    for (const l of lanes) this.#disown(l);
    if (this.#closing) return; // close() revokes them
    this.#lanes.clear();
    this.options.logger?.warn(`revoking every lane: ${reason}`, { group: this.spec.group });
    this.#revoke(lanes);
  }

  /** Runs `sink.revoked` for disowned lanes after the previous barrier; later batches wait for it. */
  #revoke(lanes: readonly KafkaLane[]): void {
    if (this.#closing || lanes.length === 0) return;
    const previous = this.#barrier;
    this.#barrier = (async () => {
      await previous.catch(() => {});
      await Promise.all(lanes.map((l) => this.#revokeOne(l)));
    })();
  }

  /** Once the lane's assignment settled, let the runtime drain it (`sink.revoked`); a failure is logged, never thrown. */
  async #revokeOne(l: KafkaLane): Promise<void> {
    await l.ready.catch(() => {});
    if (l.sink)
      await this.sink
        .revoked(l.id)
        .catch((err) => this.options.logger?.error('revoke failed', { lane: l.id, error: String(err) }));
  }
}
