import type { EachBatchPayload } from 'kafkajs';
import type { InboundRecord } from '@partita/core';
import type { ResolvedKafkaOptions } from '../options/kafka-options.js';
import { DELIVER_AT_HEADER } from '../topics/retry-tiers.js';
import type { ConsumerControl } from '../subscription/consumer-control.js';
import type { GenerationGuard } from '../subscription/generation-guard.js';
import { toInboundRecord, type KafkaLane } from '../subscription/kafka-lane.js';

/** What the intake reads of the subscription it feeds. */
export interface IntakeHost {
  /** The lane of a Kafka partition, if this member holds one. */
  lane(topic: string, partition: number): KafkaLane | undefined;
  /** Resolves once pending assignments and revocations settled, heartbeating meanwhile. */
  awaitBarrier(heartbeat: () => Promise<void>): Promise<void>;
  /** `close` began: records are no longer delivered. */
  readonly closing: boolean;
}

/**
 * kafkajs `eachBatch` → lane deliveries. A batch waits for the host's
 * barrier (assignment changes), skips the records a lane already delivered
 * before a rejoin, stops at the first retry-tier record that is not due yet
 * (the lane is held until then), and is handed to the lane's sink on the
 * next check phase (see `enqueue`). Offsets are resolved up to what was
 * taken, so kafkajs re-fetches a held record.
 */
export class BatchIntake {
  /** Batches handed over by `eachBatch`, delivered on the next check phase (see `enqueue`). */
  private pending: { lane: KafkaLane; records: InboundRecord[] }[] = [];
  private flushDone: Promise<void> | undefined;

  constructor(
    private readonly options: ResolvedKafkaOptions,
    private readonly guard: GenerationGuard,
    private readonly control: ConsumerControl,
    private readonly host: IntakeHost,
  ) {}

  /** The `eachBatch` handler. */
  async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    this.guard.sample();
    await this.host.awaitBarrier(() => payload.heartbeat());
    const lane = this.host.lane(batch.topic, batch.partition);
    if (!lane || !lane.owned || lane.held || !payload.isRunning()) return;
    await lane.ready;
    // At most one undelivered batch per lane: wait for the previous one to reach the sink.
    while (lane.queued !== undefined) await lane.queued;
    if (!lane.sink || !lane.owned || lane.held) return;
    const records: InboundRecord[] = [];
    let hold: number | undefined;
    let skipBelow = lane.nextExpected;
    for (const m of batch.messages) {
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
    const last = records[records.length - 1];
    if (last !== undefined) {
      lane.nextExpected = BigInt(last.offset) + 1n;
      this.enqueue(lane, records);
      payload.resolveOffset(hold === undefined ? batch.lastOffset() : last.offset);
    } else if (hold === undefined) {
      // Nothing new (every record was below what the lane expects): never move kafkajs' position back.
      const expected = lane.nextExpected;
      const lastOffset = BigInt(batch.lastOffset());
      payload.resolveOffset(
        (expected !== undefined && expected - 1n > lastOffset ? expected - 1n : lastOffset).toString(),
      );
    }
    if (hold !== undefined) this.hold(lane, hold);
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
  private enqueue(lane: KafkaLane, records: InboundRecord[]): void {
    this.pending.push({ lane, records });
    this.flushDone ??= new Promise<void>((resolve) => setImmediate(() => this.flush(resolve)));
    lane.queued = this.flushDone;
  }

  private flush(done: () => void): void {
    // A process starved of CPU (or stopped) past the session timeout resumes with I/O first and this check
    // phase next, before any timer: sample here, so a stall revokes the lanes before their records run.
    this.guard.sample();
    const pending = this.pending;
    this.pending = [];
    this.flushDone = undefined;
    try {
      for (const { lane, records } of pending) {
        lane.queued = undefined;
        if (!lane.owned || !lane.sink || this.host.closing) continue;
        try {
          lane.sink.deliver(records);
        } catch (err) {
          this.options.logs.logger.error({ ...lane.id, err }, 'lane sink rejected records');
        }
      }
    } finally {
      done();
    }
  }

  /** Stop fetching a retry-tier partition until its head record is due. */
  private hold(lane: KafkaLane, dueAt: number): void {
    lane.held = true;
    if (!lane.runtimePaused) this.control.pause([lane]);
    lane.holdTimer = this.options.clock.setTimeout(
      () => {
        lane.holdTimer = undefined;
        lane.held = false;
        if (lane.owned && !lane.runtimePaused) this.control.resume(lane);
      },
      Math.max(0, dueAt - this.options.clock.now()),
    );
  }
}
