import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Clock, InboundRecord, LaneHandle, LaneId, LaneSink, TimerHandle } from '@partita/core';
import { mapNatsError } from '../errors/map-nats-error.js';
import { fromNatsHeaders } from '../headers/record-headers.js';

/** Settings of one JetStream lane. */
export interface JetStreamLaneConfig {
  readonly id: LaneId;
  readonly maxInFlight: number;
  readonly ackWaitMs: number;
  readonly pullExpiresMs: number;
  readonly confirmAcks: boolean;
  readonly clock: Clock;
}

interface Tracked {
  readonly msg: JsMsg;
  touchedAt: number;
}

const MAX_CONCURRENT_PULLS = 4;

/**
 * One lane over a durable pull consumer: credit-based pulls (never more than
 * `maxInFlight` records requested plus unsettled), explicit settlement, and
 * automatic `working()` for records held past half of `ack_wait`.
 *
 * Contract: records arrive at the sink in the order the server sent them;
 * `settle`/`nack`/`touch` of a record the lane no longer tracks (already
 * settled, or redelivered elsewhere) are ignored. After `stop()` nothing is
 * delivered; records still unsettled are NAKed so another member gets them.
 */
export class JetStreamLane implements LaneHandle {
  readonly id: LaneId;
  private sink: LaneSink | undefined;
  private readonly unsettled = new Map<string, Tracked>();
  private readonly pulls = new Set<ConsumerMessages>();
  private requested = 0;
  private paused = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private outbox: InboundRecord[] = [];
  private flushScheduled = false;
  private touchTimer: TimerHandle | undefined;
  private ackFlush: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  private cooldownUntil = 0;
  /** Last pull failure, for health; cleared by a successful pull. */
  lastError: string | undefined;
  delivered = 0;

  constructor(private readonly consumer: Consumer, private readonly nc: NatsConnection, private readonly cfg: JetStreamLaneConfig) {
    this.id = cfg.id;
  }

  get unsettledCount(): number {
    return this.unsettled.size;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Begin pulling into `sink`. */
  start(sink: LaneSink): void {
    this.sink = sink;
    this.scheduleTouch();
    this.loop = this.run();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.poke();
  }

  async settle(records: readonly InboundRecord[], outcome: 'ack' | 'term'): Promise<void> {
    try {
      for (const r of records) {
        const t = this.unsettled.get(r.offset);
        if (!t) continue;
        this.unsettled.delete(r.offset);
        if (outcome === 'ack') t.msg.ack();
        else t.msg.term(); // no reason: "+TERM <reason>" needs server 2.10
      }
    } catch (err) {
      throw mapNatsError(err, `${outcome} on "${this.id.topic}"`);
    } finally {
      this.poke();
    }
    if (this.cfg.confirmAcks || outcome === 'term') await this.flushAcks();
  }

  async nack(record: InboundRecord, delayMs: number): Promise<void> {
    const t = this.unsettled.get(record.offset);
    if (!t) return;
    this.unsettled.delete(record.offset);
    try {
      t.msg.nak(Math.max(0, Math.round(delayMs)));
    } catch (err) {
      throw mapNatsError(err, `nak on "${this.id.topic}"`);
    } finally {
      this.poke();
    }
  }

  touch(record: InboundRecord): void {
    const t = this.unsettled.get(record.offset);
    if (!t) return;
    try {
      t.msg.working();
      t.touchedAt = this.cfg.clock.now();
    } catch {
      // Connection down: the redelivery after ack_wait is the fallback.
    }
  }

  /** Stop pulling and close open pull requests. Records already delivered stay settleable. */
  async stopPulling(): Promise<void> {
    this.stopped = true;
    this.poke();
    await Promise.all([...this.pulls].map((p) => p.close().catch(() => undefined)));
    await this.loop?.catch(() => undefined);
  }

  /** After revocation: NAK what the runtime did not settle and stop the working() timer. */
  release(): void {
    this.stopped = true;
    if (this.touchTimer !== undefined) this.cfg.clock.clearTimeout(this.touchTimer);
    this.touchTimer = undefined;
    for (const t of this.unsettled.values()) {
      try { t.msg.nak(); } catch { /* connection gone: ack_wait redelivers */ }
    }
    this.unsettled.clear();
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private async run(): Promise<void> {
    let failures = 0;
    const threshold = Math.max(1, Math.floor(this.cfg.maxInFlight / 4));
    while (!this.stopped) {
      const credit = this.cfg.maxInFlight - this.unsettled.size - this.requested - this.outbox.length;
      const canPull = !this.paused && !this.nc.isClosed() && this.pulls.size < MAX_CONCURRENT_PULLS
        && (credit >= threshold || (credit > 0 && this.requested === 0));
      if (!canPull) {
        await new Promise<void>((resolve) => { this.wake = resolve; });
        continue;
      }
      const cooldown = this.cooldownUntil - this.cfg.clock.now();
      if (cooldown > 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.cfg.clock.setTimeout(() => this.poke(), cooldown);
        });
        continue;
      }
      try {
        const pull = await this.consumer.fetch({ max_messages: credit, expires: this.cfg.pullExpiresMs });
        failures = 0;
        this.lastError = undefined;
        this.requested += credit;
        this.pulls.add(pull);
        void this.drain(pull, credit);
      } catch (err) {
        failures++;
        this.lastError = err instanceof Error ? err.message : String(err);
        const backoff = Math.min(5000, 100 * 2 ** Math.min(failures, 6));
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.cfg.clock.setTimeout(() => this.poke(), backoff);
        });
      }
    }
  }

  private async drain(pull: ConsumerMessages, batch: number): Promise<void> {
    let received = 0;
    try {
      for await (const m of pull) {
        received++;
        this.requested--;
        this.accept(m);
      }
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      if (received === 0) this.cooldownUntil = this.cfg.clock.now() + 1000;
    } finally {
      this.requested -= batch - received;
      this.pulls.delete(pull);
      this.poke();
    }
  }

  private accept(m: JsMsg): void {
    if (this.stopped) {
      try { m.nak(); } catch { /* ack_wait redelivers */ }
      return;
    }
    const { headers, key, notBefore } = fromNatsHeaders(m.headers);
    const now = this.cfg.clock.now();
    if (notBefore !== undefined && notBefore > now) {
      m.nak(notBefore - now);
      return;
    }
    const offset = String(m.seq);
    this.unsettled.set(offset, { msg: m, touchedAt: now });
    this.delivered++;
    this.outbox.push({
      key, headers, offset,
      value: m.data,
      timestamp: Math.floor(m.info.timestampNanos / 1e6),
      deliveryCount: m.info.deliveryCount - (notBefore !== undefined ? 1 : 0),
    });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushOutbox());
    }
  }

  private flushOutbox(): void {
    this.flushScheduled = false;
    const batch = this.outbox;
    this.outbox = [];
    if (batch.length > 0 && !this.stopped) this.sink?.deliver(batch);
  }

  /** One shared round trip confirms every ack written before it. */
  private flushAcks(): Promise<void> {
    if (!this.ackFlush) {
      this.ackFlush = new Promise<void>((resolve) => queueMicrotask(resolve))
        .then(() => { this.ackFlush = undefined; return this.nc.flush(); })
        .catch((err: unknown) => { throw mapNatsError(err, `confirm acks on "${this.id.topic}"`); });
    }
    return this.ackFlush;
  }

  private scheduleTouch(): void {
    const every = Math.max(50, Math.floor(this.cfg.ackWaitMs / 4));
    this.touchTimer = this.cfg.clock.setTimeout(() => {
      if (this.stopped && this.unsettled.size === 0) return;
      const now = this.cfg.clock.now();
      const due = this.cfg.ackWaitMs / 2;
      for (const t of this.unsettled.values()) {
        if (now - t.touchedAt >= due) {
          try { t.msg.working(); t.touchedAt = now; } catch { break; }
        }
      }
      if (this.touchTimer !== undefined) this.scheduleTouch();
    }, every);
  }
}
