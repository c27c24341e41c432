import type { Clock, Headers, TimerHandle } from '@partita/core';
import { ClosedError } from '@partita/core';
import type { GroupCoordinator } from '../group/group-coordinator.js';
import type { Topic } from '../log/topic.js';
import type { StoredRecord } from '../log/stored-record.js';

/** Options of `broker.queue(...)`. */
export interface QueueOptions {
  readonly group: string;
  readonly topic: string;
  /** A received message not acked within this is redelivered with `attempt + 1`. @defaultValue 30_000 */
  readonly visibilityTimeoutMs?: number;
  /** After this many deliveries without ack, the message is dead-lettered with reason `max-deliveries`. @defaultValue Infinity */
  readonly maxDeliveries?: number;
}

/** A message received from a queue consumer. */
export interface QueueMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | undefined;
  /** `null` is a tombstone. */
  readonly value: Uint8Array | null;
  readonly headers: Headers;
  readonly timestamp: number;
  /** 1 on the first delivery, +1 on every redelivery. */
  readonly attempt: number;
  /** Identifies this delivery; an ack of an older delivery is ignored. */
  readonly receipt: number;
}

/**
 * Queue-style (competing consumers) view of a topic for one group: messages
 * are individually acked; one not acked within the visibility timeout is
 * redelivered with `attempt` incremented. The group's committed offset per
 * partition advances over the contiguous acked prefix. Consumers created
 * with the same group and topic share state (they compete).
 */
export interface QueueConsumer {
  /** Up to `max` messages: due redeliveries first, then new ones. Synchronous. */
  receive(max?: number): QueueMessage[];
  /** Settle a delivery; returns false when it is stale (already redelivered, acked or dead-lettered). */
  ack(message: QueueMessage): boolean;
  /** Give a delivery back: redelivered (attempt + 1) after `delayMs`. Returns false when stale. */
  nack(message: QueueMessage, delayMs?: number): boolean;
  /** Deliveries not yet acked. */
  readonly inFlight: number;
}

interface InFlight {
  readonly rec: StoredRecord;
  readonly partition: number;
  readonly attempt: number;
  readonly receipt: number;
  readonly deadline: number;
}

/** @internal Shared state of one (group, topic) queue. */
export class QueueState implements QueueConsumer {
  private readonly cursors: number[];
  private readonly acked: Set<number>[];
  private readonly committed: number[];
  private readonly inflight = new Map<number, InFlight>();
  private readonly byOffset: Map<number, number>[];
  private readonly deadlines: InFlight[] = [];
  private deadlinesHead = 0;
  private readonly redeliver: { rec: StoredRecord; partition: number; attempt: number }[] = [];
  private timer: TimerHandle | undefined;
  private nextReceipt = 1;
  private readonly nackTimers = new Set<TimerHandle>();
  closed = false;

  constructor(
    private readonly topic: Topic,
    private readonly group: string,
    private readonly visibilityTimeoutMs: number,
    private readonly maxDeliveries: number,
    private readonly clock: Clock,
    private readonly coordinator: GroupCoordinator,
    /** Dead-letters a record past `maxDeliveries` (the broker appends it to the topic's dead-letter topic). */
    private readonly deadLetter: (partition: number, rec: StoredRecord, reason: string) => void,
  ) {
    coordinator.register(group, topic.name);
    this.committed = topic.partitions.map((p) => coordinator.committed(group, topic.name, p.index)?.offset ?? p.base);
    this.cursors = [...this.committed];
    this.acked = topic.partitions.map(() => new Set());
    this.byOffset = topic.partitions.map(() => new Map<number, number>());
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  receive(max = 100): QueueMessage[] {
    if (this.closed) throw new ClosedError('the memory broker is closed');
    const now = this.clock.now();
    const out: QueueMessage[] = [];
    while (out.length < max && this.redeliver.length > 0) {
      const r = this.redeliver.shift()!;
      out.push(this.deliver(r.rec, r.partition, r.attempt, now));
    }
    const parts = this.topic.partitions;
    for (let i = 0; i < parts.length && out.length < max; i++) {
      const res = parts[i]!.read(this.cursors[i]!, max - out.length);
      if (this.cursors[i]! < res.next) this.skipTo(i, this.cursors[i]!, res.next, res.records);
      this.cursors[i] = res.next;
      for (const rec of res.records) out.push(this.deliver(rec, i, 1, now));
    }
    return out;
  }

  /** Offsets in [from, next) that were skipped by the read (expired) count as settled. */
  private skipTo(p: number, from: number, next: number, recs: readonly StoredRecord[]): void {
    if (recs.length === next - from) return;
    const got = new Set(recs.map((r) => Number(r.offset)));
    for (let o = from; o < next; o++) if (!got.has(o)) this.acked[p]!.add(o);
    this.advance(p);
  }

  private deliver(rec: StoredRecord, partition: number, attempt: number, now: number): QueueMessage {
    const receipt = this.nextReceipt++;
    const f: InFlight = { rec, partition, attempt, receipt, deadline: now + this.visibilityTimeoutMs };
    this.inflight.set(receipt, f);
    this.byOffset[partition]!.set(Number(rec.offset), receipt);
    this.deadlines.push(f);
    this.arm();
    return {
      topic: this.topic.name,
      partition,
      offset: rec.offset,
      key: rec.key,
      value: rec.value,
      headers: rec.headers,
      timestamp: rec.timestamp,
      attempt,
      receipt,
    };
  }

  private arm(): void {
    if (this.timer !== undefined || this.closed) return;
    while (
      this.deadlinesHead < this.deadlines.length &&
      !this.inflight.has(this.deadlines[this.deadlinesHead]!.receipt)
    )
      this.deadlinesHead++;
    if (this.deadlinesHead >= this.deadlines.length) {
      this.deadlines.length = 0;
      this.deadlinesHead = 0;
      return;
    }
    const at = this.deadlines[this.deadlinesHead]!.deadline;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.expire();
      },
      Math.max(0, at - this.clock.now()),
    );
  }

  private expire(): void {
    const now = this.clock.now();
    while (this.deadlinesHead < this.deadlines.length && this.deadlines[this.deadlinesHead]!.deadline <= now) {
      const f = this.deadlines[this.deadlinesHead++]!;
      if (!this.inflight.delete(f.receipt)) continue;
      this.retry(f);
    }
    this.arm();
  }

  private retry(f: InFlight): void {
    if (f.attempt >= this.maxDeliveries) {
      this.deadLetter(f.partition, f.rec, 'max-deliveries');
      this.settle(f);
      return;
    }
    this.redeliver.push({ rec: f.rec, partition: f.partition, attempt: f.attempt + 1 });
  }

  private settle(f: InFlight): void {
    const off = Number(f.rec.offset);
    if (this.byOffset[f.partition]!.get(off) === f.receipt) this.byOffset[f.partition]!.delete(off);
    this.acked[f.partition]!.add(off);
    this.advance(f.partition);
  }

  private advance(p: number): void {
    let c = this.committed[p]!;
    const acked = this.acked[p]!;
    const start = c;
    while (acked.delete(c)) c++;
    if (c !== start) {
      this.committed[p] = c;
      this.coordinator.setCommitted(this.group, this.topic.name, p, c, undefined);
    }
  }

  ack(message: QueueMessage): boolean {
    const f = this.inflight.get(message.receipt);
    if (!f) return false;
    this.inflight.delete(message.receipt);
    this.settle(f);
    return true;
  }

  nack(message: QueueMessage, delayMs = 0): boolean {
    const f = this.inflight.get(message.receipt);
    if (!f) return false;
    if (!(delayMs >= 0)) throw new RangeError(`nack: delayMs must be a number >= 0, got ${String(delayMs)}`);
    this.inflight.delete(message.receipt);
    if (delayMs === 0) {
      this.retry(f);
      return true;
    }
    const h = this.clock.setTimeout(() => {
      this.nackTimers.delete(h);
      if (!this.closed) this.retry(f);
    }, delayMs);
    this.nackTimers.add(h);
    return true;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    for (const h of this.nackTimers) this.clock.clearTimeout(h);
    this.nackTimers.clear();
  }
}
