import type { Channel, ConsumeMessage } from 'amqplib';
import { ClosedError, type InboundRecord, type LaneId, type LaneSink, type MessageLaneHandle } from '@partita/core';

/** Publishes the delayed copy of a record (the partition consumer's retry path). */
export type DelayedCopy = (record: InboundRecord, delayMs: number) => Promise<void>;

/**
 * One lane: the tenure of this member as the single active consumer of one
 * partition queue, on one channel. A reconnect or a hand-over ends the lane
 * and a new one is assigned.
 *
 * Contract: records reach the sink in delivery order, batched per event-loop
 * turn. `settle` acks on the channel the record came from, never on another
 * one: once that channel closed (`detach`), settling is a no-op and the broker
 * redelivers the record (a duplicate, never a loss; delivery tags of a dead
 * channel are meaningless on a new one). `nack(record, delay)` publishes a
 * confirmed delayed copy and then acks the original.
 */
export class RabbitLane implements MessageLaneHandle {
  readonly ackModel = 'message' as const;
  private sink: LaneSink | undefined;
  private readonly tracked = new Map<string, ConsumeMessage>();
  private outbox: InboundRecord[] = [];
  private paused = false;
  private stopped = false;
  private attached = true;
  private flushScheduled = false;
  private confirming: Promise<void> | undefined;
  delivered = 0;

  constructor(
    readonly id: LaneId,
    private readonly channel: Channel,
    readonly generation: number,
    private readonly delayedCopy: DelayedCopy,
    /** Wait for a round trip on the channel after acks (see `confirmAcks`). */
    private readonly confirmAcks: boolean,
  ) {}

  get unsettledCount(): number {
    return this.tracked.size;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  start(sink: LaneSink): void {
    this.sink = sink;
    this.flush();
  }

  /** A delivery from this lane's channel. */
  push(record: InboundRecord, msg: ConsumeMessage): void {
    this.tracked.set(record.offset, msg);
    this.outbox.push(record);
    this.delivered++;
    if (!this.flushScheduled && !this.paused && !this.stopped && this.sink) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.flush();
  }

  /** No more records reach the runtime (revocation began); settling still works while the channel lives. */
  stop(): void {
    this.stopped = true;
    this.outbox = [];
  }

  /** The channel closed: nothing is acked any more (the broker has returned every unacked record). */
  detach(): void {
    this.attached = false;
    this.stop();
    this.tracked.clear();
  }

  /**
   * Ack the records on their channel (the oldest unsettled ones in one
   * `multiple` ack: every record this lane holds came before any delivery
   * the lane does not track, so it covers only them). Both outcomes ack: `term` means the
   * runtime's dead-letter copy is confirmed, so the broker must neither
   * dead-letter nor redeliver the original. With `confirmAcks`, resolves after
   * a round trip on the channel (the broker has read the acks: it processes a
   * channel's frames in order). Rejects with `ClosedError` when the channel is
   * gone: the broker returned those records and redelivers them.
   */
  async settle(records: readonly InboundRecord[], _outcome: 'ack' | 'term'): Promise<void> {
    const settled = new Set<string>();
    for (const r of records) if (this.tracked.has(r.offset)) settled.add(r.offset);
    if (settled.size === 0) return;
    if (!this.attached) return this.lose(settled);
    try {
      // The oldest unsettled records (delivery order) that are all settled now go in one `multiple` ack.
      let upTo: ConsumeMessage | undefined;
      for (const [offset, msg] of this.tracked) {
        if (!settled.has(offset)) break;
        upTo = msg;
        settled.delete(offset);
        this.tracked.delete(offset);
      }
      if (upTo) this.channel.ack(upTo, true);
      for (const offset of settled) {
        this.channel.ack(this.tracked.get(offset)!);
        this.tracked.delete(offset);
      }
    } catch {
      this.attached = false;
      return this.lose(settled);
    }
    if (this.confirmAcks) await this.confirm();
  }

  /** The channel is gone: the broker returned these records and redelivers them. */
  private lose(offsets: Set<string>): never {
    for (const o of offsets) this.tracked.delete(o);
    throw new ClosedError(
      `ack on "${this.id.topic}" partition ${this.id.partition}: the channel closed; the broker redelivers ${offsets.size} record(s)`,
    );
  }

  /**
   * One shared round trip confirms every ack written before it: a passive
   * declaration of `amq.direct` (exists in every vhost; answered by the
   * channel itself, so it is cheap, unlike a `basic.qos`, which quorum queues
   * turn into credit updates).
   */
  private confirm(): Promise<void> {
    this.confirming ??= new Promise<void>((resolve) => queueMicrotask(resolve))
      .then(() => {
        this.confirming = undefined;
        return this.channel.checkExchange('amq.direct');
      })
      .then(
        () => undefined,
        (err: unknown) => {
          throw new ClosedError(`confirm acks on "${this.id.topic}": the channel closed`, { cause: err });
        },
      );
    return this.confirming;
  }

  async nack(record: InboundRecord, delayMs: number): Promise<void> {
    if (!this.tracked.has(record.offset)) return;
    await this.delayedCopy(record, delayMs);
    await this.settle([record], 'ack');
  }

  private flush(): void {
    if (this.paused || this.stopped || !this.sink || this.outbox.length === 0) return;
    const batch = this.outbox;
    this.outbox = [];
    this.sink.deliver(batch);
  }
}
