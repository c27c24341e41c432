import type { Consumer } from 'kafkajs';
import { ConnectionError } from '@partita/core';
import { mapKafkaError } from '../errors/map-kafka-error.js';
import type { ResolvedKafkaOptions } from '../options/kafka-options.js';
import { GROUP_CHANGE, kafkaErrorType, type GenerationGuard } from '../subscription/generation-guard.js';
import { laneKey, type KafkaLane } from '../subscription/kafka-lane.js';
import { CommitBatcher, type CommitEntry } from './commit-batcher.js';

/** A lane's commit waiting for its request. */
interface LaneCommit extends CommitEntry {
  readonly lane: KafkaLane;
}

/** What the committer notes just before a commit request goes out. */
interface SendMark {
  /** `COMMIT_OFFSETS` events so far: a later one that names the lane says kafkajs sent its commit. */
  readonly seq: number;
  /** Joins so far: a refusal that comes back after a join concerns the generation before it. */
  readonly joins: number;
}

/** What the committer reads of the subscription it commits for. */
export interface CommitterHost {
  /** kafkajs' runner is running (joined since its last crash). */
  readonly running: boolean;
  /** The error of the runner's last crash: the cause of a commit that cannot be sent. */
  readonly lastCrash: unknown;
  /** False once `lane` was dropped by a `close` in progress. */
  isCurrent(lane: KafkaLane): boolean;
  /** The broker refused a commit of `lane` with a `GROUP_CHANGE` code: the lane is lost. */
  refused(lane: KafkaLane, type: string): void;
}

/**
 * Commits lane watermarks for one kafkajs consumer, guarded against zombies
 * (see `GenerationGuard`): a commit is sent only while the generation is
 * confirmed, otherwise it waits for the next join (`joined()`) and commits
 * only if the lane survived it. A commit the broker refused for generation or
 * membership reasons is never retried: the host loses the lane. kafkajs
 * resolves `commitOffsets` without sending anything while its runner is
 * stopped; the `COMMIT_OFFSETS` events (`sent()`) tell which commits went out.
 * A refusal that arrives after a join that happened while the commit was in
 * flight concerns the generation before that join (the lane may have been
 * kept in the new one): it changes nothing and the commit is sent again under
 * the new generation if the lane is still owned. The lanes' commits share
 * one request at a time (see `CommitBatcher`).
 */
export class LaneCommitter {
  /** Counter of confirmed commits per lane key. */
  private readonly sentSeq = new Map<string, number>();
  private seq = 0;
  /** Joins so far: a refusal that comes back after a join concerns the generation before it. */
  private joins = 0;
  private joinWaiters: (() => void)[] = [];
  private readonly batcher: CommitBatcher<LaneCommit, SendMark>;

  constructor(
    consumer: Consumer,
    private readonly guard: GenerationGuard,
    private readonly options: ResolvedKafkaOptions,
    private readonly host: CommitterHost,
  ) {
    this.batcher = new CommitBatcher<LaneCommit, SendMark>(
      options.clock,
      (entries) =>
        consumer.commitOffsets(
          entries.map(({ topic, partition, offset, metadata }) => ({ topic, partition, offset, metadata })),
        ),
      () => ({ seq: this.seq, joins: this.joins }),
      (err) => GROUP_CHANGE.has(kafkaErrorType(err) ?? ''),
      // The checks `commit` made before queueing, made again as the request goes out.
      ({ lane }) => lane.owned && this.host.isCurrent(lane) && this.host.running && this.guard.confirmed,
    );
  }

  /** kafkajs' `COMMIT_OFFSETS` event: these partitions' offsets were sent. */
  sent(topics: readonly { topic: string; partitions: readonly { partition: number | string }[] }[]): void {
    const seq = ++this.seq;
    for (const t of topics) for (const p of t.partitions) this.sentSeq.set(laneKey(t.topic, Number(p.partition)), seq);
  }

  /** The consumer joined its group (or the subscription closes): wake the commits waiting for it. */
  joined(): void {
    this.joins++;
    for (const w of this.joinWaiters.splice(0)) w();
  }

  /**
   * Commit `nextOffset` for `lane`. `best` (the start offset of a new group's
   * lane): a refusal for generation or membership only returns false, it does
   * not lose the lane or the member (the join under way decides that).
   */
  async commit(lane: KafkaLane, nextOffset: string, metadata: string | undefined, best = false): Promise<boolean> {
    let md: string | null = metadata ?? null;
    if (md !== null && Buffer.byteLength(md) > this.options.maxCommitMetadataBytes) {
      this.options.logs.logger.warn(
        { ...lane.id, bytes: Buffer.byteLength(md) },
        'commit metadata too large; committing the watermark without it',
      );
      md = null;
    }
    for (let attempt = 0; ; attempt++) {
      // Sampling here catches a stall before anything else runs after a SIGCONT (I/O callbacks precede timers).
      this.guard.sample();
      if (!lane.owned || !this.host.isCurrent(lane)) return false;
      if (!this.host.running || !this.guard.confirmed) {
        // No commit while the generation is unconfirmed: wait for the join, then commit only if the lane survived it.
        if (attempt >= 3)
          throw new ConnectionError(
            `kafka commit for ${lane.kafkaTopic}/${lane.partition} failed: the consumer is not in the group`,
            { cause: this.host.lastCrash },
          );
        await this.nextJoin(this.host.running ? this.options.rebalanceTimeoutMs : this.options.sessionTimeoutMs);
        continue;
      }
      const sent = await this.batcher.commit({
        lane,
        key: lane.key,
        topic: lane.kafkaTopic,
        partition: lane.partition,
        offset: nextOffset,
        metadata: md,
      });
      // Lost, or the generation unconfirmed, while it waited for its request: the loop checks again.
      if (!sent.sent) continue;
      if (sent.failed) {
        const err = sent.error;
        this.guard.sample();
        const type = kafkaErrorType(err) ?? '';
        if (GROUP_CHANGE.has(type) && this.joins !== sent.mark.joins && attempt < 3) {
          // A join completed while this commit was in flight: the refusal is of the generation before it.
          // Lanes the join kept are owned under the new generation: send again (the loop re-checks ownership).
          continue;
        }
        if (GROUP_CHANGE.has(type)) {
          // Refused for generation/membership: never retried (a retry could land under a later generation and
          // move the group's offset back). The lane is lost; a new lane takes over if the partition comes back.
          if (!best) this.host.refused(lane, type);
          return false;
        }
        if (!lane.owned) return false;
        throw mapKafkaError(err, `commit ${lane.kafkaTopic}/${lane.partition}`);
      }
      // A stall while the commit was in flight: the answer may predate the stall, but the lane is a zombie now.
      if (this.guard.sample() || !lane.owned) return false;
      if ((this.sentSeq.get(lane.key) ?? 0) <= sent.mark.seq) {
        // kafkajs skipped the commit (its runner is not running: crash, restart, rejoin): nothing was sent.
        // Retry once it joined again, if the lane is still owned then.
        if (attempt >= 3)
          throw new ConnectionError(
            `kafka commit for ${lane.kafkaTopic}/${lane.partition} was not sent: the consumer is not running`,
          );
        await this.nextJoin(this.options.sessionTimeoutMs);
        continue;
      }
      lane.committed = nextOffset;
      return true;
    }
  }

  /** Resolves at the next join, or after `timeoutMs`. */
  private nextJoin(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.options.clock.clearTimeout(timer);
        resolve();
      };
      const timer = this.options.clock.setTimeout(done, timeoutMs);
      this.joinWaiters.push(done);
    });
  }
}
