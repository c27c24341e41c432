import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { Subscription, SubscriptionSink, SubscriptionSpec, TimerHandle } from '@partita/core';
import { LaneCommitter, type CommitterHost } from '../commit/lane-committer.js';
import { mapKafkaError } from '../errors/map-kafka-error.js';
import { BatchIntake, type IntakeHost } from '../intake/batch-intake.js';
import type { ResolvedKafkaOptions } from '../options/kafka-options.js';
import { ConsumerControl } from './consumer-control.js';
import { GenerationGuard, GROUP_CHANGE, kafkaErrorType, SESSION_LOST } from './generation-guard.js';
import { createKafkaLane, laneKey, type KafkaLane } from './kafka-lane.js';
import { KafkaLaneHandle } from './kafka-lane-handle.js';

/** Tries of the start-offset commit of a new group's lanes (waits 0.2, 0.4, 0.8, 1.6 s between them). */
const START_COMMIT_ATTEMPTS = 5;

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
 * Zombie guard (see `GenerationGuard` and `LaneCommitter`): a commit is sent
 * only while the generation is confirmed. A commit the broker refused for generation or
 * membership reasons is never retried: its lane is lost (revoked; a new lane
 * if the partition comes back). A stall past the session timeout loses every
 * lane at once, and so does any rejoin after the session was lost, even when
 * kafkajs kept the member id.
 */
export class KafkaSubscription implements Subscription, CommitterHost, IntakeHost {
  private readonly laneMap = new Map<string, KafkaLane>();
  private readonly tierTopics: ReadonlySet<string>;
  private readonly consumer: Consumer;
  private readonly guard: GenerationGuard;
  private readonly control: ConsumerControl;
  private readonly committer: LaneCommitter;
  private readonly intake: BatchIntake;
  private memberId: string | undefined;
  private barrier: Promise<void> = Promise.resolve();
  /** `barrier` resolved: a batch passes it without a timer or an `await`. */
  private barrierDone = true;
  private closingDone: Promise<void> | undefined;
  private crashError: unknown;
  private runnerRunning = false;

  constructor(
    kafka: Kafka,
    private readonly admin: () => Promise<Admin>,
    private readonly spec: SubscriptionSpec,
    private readonly sink: SubscriptionSink,
    private readonly options: ResolvedKafkaOptions,
    private readonly topics: readonly string[],
    tierTopics: readonly string[],
    private readonly onClosed: (sub: KafkaSubscription) => void,
  ) {
    this.tierTopics = new Set(tierTopics);
    this.guard = new GenerationGuard(options.clock, options.sessionTimeoutMs, options.heartbeatIntervalMs, (ms) =>
      this.revokeAll(`the process stalled for ${ms} ms, past the session timeout: this member's lanes are zombies`),
    );
    this.consumer = kafka.consumer({
      groupId: spec.group,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      rebalanceTimeout: options.rebalanceTimeoutMs,
      maxBytesPerPartition: options.maxBytesPerPartition,
      maxWaitTimeInMs: options.maxWaitTimeMs,
      allowAutoTopicCreation: false,
    });
    this.control = new ConsumerControl(this.consumer, options.logs.logger.child({ group: spec.group }));
    this.committer = new LaneCommitter(this.consumer, this.guard, options, this);
    this.intake = new BatchIntake(options, this.guard, this.control, this);
    const ev = this.consumer.events;
    this.consumer.on(ev.GROUP_JOIN, ({ payload }) => this.onJoin(payload.memberId, payload.memberAssignment));
    this.consumer.on(ev.COMMIT_OFFSETS, ({ payload }) => this.committer.sent(payload.topics));
    this.consumer.on(ev.REBALANCING, () => this.guard.refused('REBALANCE_IN_PROGRESS'));
    this.consumer.on(ev.CRASH, ({ payload }) => {
      this.runnerRunning = false;
      this.crashError = payload.error;
      options.logs.logger.warn(
        { group: spec.group, restart: payload.restart, err: payload.error },
        payload.restart ? 'kafka consumer crashed; kafkajs restarts it' : 'kafka consumer crashed',
      );
      if (!payload.restart) {
        this.guard.stop();
        this.revokeAll('consumer crashed without restart');
      }
    });
  }

  /** Subscribes and starts the consumer; resolves once kafkajs runs (the first assignment may follow). */
  async start(): Promise<void> {
    try {
      this.guard.start();
      await this.consumer.connect();
      await this.consumer.subscribe({ topics: [...this.topics], fromBeginning: this.spec.startFrom !== 'latest' });
      await this.consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.intake.onBatch(payload),
      });
    } catch (err) {
      this.guard.stop();
      await this.consumer.disconnect().catch(() => {});
      throw mapKafkaError(err, `subscribe(${this.spec.topic})`, this.spec.topic);
    }
  }

  /** Lanes this member owns now (for health). */
  lanes(): readonly KafkaLane[] {
    return [...this.laneMap.values()].filter((l) => l.owned);
  }

  /** Why the consumer stopped, while it is stopped. */
  get crashed(): unknown {
    return this.runnerRunning ? undefined : this.crashError;
  }

  // CommitterHost and IntakeHost.
  get running(): boolean {
    return this.runnerRunning;
  }

  get lastCrash(): unknown {
    return this.crashError;
  }

  get closing(): boolean {
    return this.closingDone !== undefined;
  }

  isCurrent(lane: KafkaLane): boolean {
    return !this.closing || this.laneMap.has(lane.key);
  }

  lane(topic: string, partition: number): KafkaLane | undefined {
    return this.laneMap.get(laneKey(topic, partition));
  }

  close(): Promise<void> {
    this.closingDone ??= (async () => {
      const lanes = [...this.laneMap.values()];
      this.control.pause(lanes);
      await this.barrier.catch(() => {});
      // Drain with the consumer still in the group, so final commits land.
      await Promise.all(
        lanes.map(async (l) => {
          await l.initialCommit; // never rejects
          await this.revokeOne(l);
          this.disown(l);
        }),
      );
      this.laneMap.clear();
      this.committer.joined();
      this.guard.stop();
      await this.consumer.disconnect().catch(() => {});
      this.onClosed(this);
    })();
    return this.closingDone;
  }

  private onJoin(memberId: string, assignment: Record<string, number[]>): void {
    this.runnerRunning = true;
    this.crashError = undefined;
    // A lane held across a rejoin after the session was lost is a zombie, even with the same member id.
    const sessionLost = this.guard.joined();
    const memberChanged = sessionLost || (this.memberId !== undefined && this.memberId !== memberId);
    this.memberId = memberId;
    const assigned = new Set<string>();
    for (const [topic, partitions] of Object.entries(assignment))
      for (const p of partitions) assigned.add(laneKey(topic, p));
    const lost: KafkaLane[] = [];
    for (const lane of this.laneMap.values()) {
      if (memberChanged || !assigned.has(lane.key)) lost.push(lane);
    }
    for (const lane of lost) {
      this.disown(lane);
      this.laneMap.delete(lane.key);
    }
    const gained: KafkaLane[] = [];
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const key = laneKey(topic, partition);
        const kept = this.laneMap.get(key);
        if (kept) {
          // kafkajs restarts retained partitions from the committed offset after a rejoin.
          const next = kept.nextExpected;
          if (next !== undefined) this.control.seek(topic, partition, next.toString());
          continue;
        }
        const lane = this.newLane(topic, partition);
        this.laneMap.set(key, lane);
        gained.push(lane);
      }
    }
    const previous = this.barrier;
    this.barrierDone = false;
    const barrier: Promise<void> = (async () => {
      await previous.catch(() => {});
      await Promise.all(lost.map((l) => this.revokeOne(l)));
      await this.assign(gained);
    })().finally(() => {
      if (this.barrier === barrier) this.barrierDone = true;
    });
    this.barrier = barrier;
    this.committer.joined();
  }

  private newLane(kafkaTopic: string, partition: number): KafkaLane {
    return createKafkaLane(this.spec.group, kafkaTopic, partition, this.tierTopics.has(kafkaTopic));
  }

  private async assign(gained: KafkaLane[]): Promise<void> {
    if (gained.length === 0) return;
    const metadata = new Map<string, { offset: string; metadata: string | null }>();
    try {
      const admin = await this.admin();
      const topics = [...new Set(gained.map((l) => l.kafkaTopic))];
      for (const t of await admin.fetchOffsets({ groupId: this.spec.group, topics })) {
        for (const p of t.partitions) metadata.set(laneKey(t.topic, p.partition), p);
      }
    } catch (err) {
      this.options.logs.logger.warn(
        { group: this.spec.group, err },
        'could not read committed offsets metadata; lanes start without it',
      );
    }
    const fresh: KafkaLane[] = [];
    for (const lane of gained) {
      if (!lane.owned) continue;
      const committed = metadata.get(lane.key);
      if (committed && committed.offset !== '-1') {
        lane.committed = committed.offset;
        // Records below the group's offset were settled by an earlier owner: a fetch kafkajs made before this
        // join may still hand them over (its responses are not checked against the generation). Skip them.
        lane.nextExpected = BigInt(committed.offset);
      } else if (this.spec.startFrom !== 'latest') fresh.push(lane);
      const handle = new KafkaLaneHandle(lane, committed?.metadata ?? undefined, this.control, this.committer);
      lane.handle = handle;
      lane.sink = this.sink.assigned(handle);
    }
    if (fresh.length > 0) {
      // Not awaited: a commit may wait for the next join, and this runs inside the join barrier.
      const started = this.commitStart(fresh);
      for (const lane of fresh) lane.initialCommit = started;
    }
  }

  /**
   * Commit the log start offset for partitions the group has no offset for
   * (a new group starting from the earliest record, where kafkajs starts), so
   * the group and its backlog show in `admin.lag()` before its first record
   * is settled (a group stuck on its very first record shows too). Best
   * effort: on failure the group shows once it commits.
   */
  private async commitStart(lanes: readonly KafkaLane[]): Promise<void> {
    try {
      // A topic created a moment ago may not have its leaders yet ("not the leader"): try the whole step again.
      for (let attempt = 0; ; attempt++) {
        try {
          await this.commitStartOnce(lanes);
          return;
        } catch (err) {
          if (attempt >= START_COMMIT_ATTEMPTS - 1 || this.closing) throw err;
          await new Promise<void>((resolve) => this.options.clock.setTimeout(resolve, 200 * 2 ** attempt));
        }
      }
    } catch (err) {
      this.options.logs.logger.warn(
        { group: this.spec.group, err },
        'could not commit the start offsets of new lanes; lag shows them after their first commit',
      );
    } finally {
      for (const lane of lanes) lane.initialCommit = undefined;
    }
  }

  /** Commit the log start offset of each lane's partition that has no offset for the group at all. */
  private async commitStartOnce(lanes: readonly KafkaLane[]): Promise<void> {
    const admin = await this.admin();
    const topics = [...new Set(lanes.map((l) => l.kafkaTopic))];
    const offsets = await admin.fetchOffsets({ groupId: this.spec.group, topics });
    const none = new Set<string>();
    for (const t of offsets)
      for (const p of t.partitions) if (p.offset === '-1') none.add(laneKey(t.topic, p.partition));
    const low = new Map<string, string>();
    for (const topic of topics)
      for (const o of await admin.fetchTopicOffsets(topic)) low.set(laneKey(topic, o.partition), o.low);
    await Promise.all(
      lanes.map(async (lane) => {
        const offset = low.get(lane.key);
        if (offset !== undefined && none.has(lane.key) && lane.committed === undefined)
          await this.committer.commit(lane, offset, undefined, true);
      }),
    );
  }

  /** The broker refused a request with a `GROUP_CHANGE` code: stop committing until the next join; lose `lane` (every lane when the session is gone). */
  refused(lane: KafkaLane | undefined, type: string): void {
    this.guard.refused(type);
    if (SESSION_LOST.has(type)) {
      if (this.laneMap.size > 0) this.revokeAll(`the coordinator refused this member (${type})`);
      return;
    }
    if (!lane || !lane.owned) return;
    this.disown(lane);
    if (this.laneMap.get(lane.key) === lane) this.laneMap.delete(lane.key);
    this.revoke([lane]);
  }

  async awaitBarrier(heartbeat: () => Promise<void>): Promise<void> {
    if (this.barrierDone) return;
    let settled = false;
    const barrier = this.barrier.finally(() => {
      settled = true;
    });
    while (!settled) {
      let timer: TimerHandle | undefined;
      await Promise.race([
        barrier,
        new Promise<void>((r) => {
          timer = this.options.clock.setTimeout(r, this.options.heartbeatIntervalMs);
        }),
      ]);
      if (timer !== undefined) this.options.clock.clearTimeout(timer);
      if (!settled) {
        await heartbeat().catch((err: unknown) => {
          const type = kafkaErrorType(err) ?? '';
          if (GROUP_CHANGE.has(type)) this.refused(undefined, type);
          throw err;
        });
      }
    }
  }

  private disown(lane: KafkaLane): void {
    lane.owned = false;
    if (lane.holdTimer !== undefined) this.options.clock.clearTimeout(lane.holdTimer);
    lane.holdTimer = undefined;
    // Leave the kafkajs pause state clean for a later owner of the same partition in this member.
    if (lane.runtimePaused || lane.held) this.control.resume(lane);
  }

  private revokeAll(reason: string): void {
    const lanes = [...this.laneMap.values()].filter((l) => l.owned);
    for (const l of lanes) this.disown(l);
    if (this.closing) return; // close() revokes them
    this.laneMap.clear();
    this.options.logs.logger.warn({ group: this.spec.group }, `revoking every lane: ${reason}`);
    this.revoke(lanes);
  }

  /** Runs `sink.revoked` for disowned lanes after the previous barrier; later batches wait for it. */
  private revoke(lanes: readonly KafkaLane[]): void {
    if (this.closing || lanes.length === 0) return;
    const previous = this.barrier;
    this.barrier = (async () => {
      await previous.catch(() => {});
      await Promise.all(lanes.map((l) => this.revokeOne(l)));
    })();
  }

  /** Once the lane's assignment settled, let the runtime drain it (`sink.revoked`); a failure is logged, never thrown. */
  private async revokeOne(l: KafkaLane): Promise<void> {
    await l.ready.catch(() => {});
    if (l.sink)
      await this.sink
        .revoked(l.id)
        .catch((err: unknown) => this.options.logs.logger.error({ ...l.id, err }, 'revoke failed'));
  }
}
