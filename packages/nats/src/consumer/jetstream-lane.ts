import type { Consumer, ConsumerMessages, FetchOptions, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  cappedBackoff,
  type Clock,
  type InboundRecord,
  type MessageLaneHandle,
  type LaneId,
  type LaneSink,
} from '@partita/core';
import { mapNatsError } from '../errors/map-nats-error.js';
import { fromNatsHeaders } from '../headers/record-headers.js';
import type { HandbackLedger } from './handback-ledger.js';
import { WorkingTouch, type Touched } from './working-touch.js';

/** Settings of one JetStream lane. */
export interface JetStreamLaneConfig {
  readonly id: LaneId;
  readonly maxInFlight: number;
  readonly ackWaitMs: number;
  readonly pullExpiresMs: number;
  readonly confirmAcks: boolean;
  readonly clock: Clock;
  /** Stream and durable the lane reads (they name the hand-back counts). */
  readonly stream: string;
  readonly durable: string;
  /** The runtime's attempt limit, and the consumer's `max_deliver` (-1 = unlimited). */
  readonly maxAttempts: number;
  readonly maxDeliver: number;
  /** Where hand-backs are counted; without it a hand-back counts as an attempt. */
  readonly handbacks: HandbackLedger | undefined;
}

interface Tracked extends Touched {
  /** When the lane took the record in (for {@link JetStreamLane.keepingUp}). */
  readonly admittedAt: number;
  /** Hand-backs of this record so far (see {@link HandbackLedger}). */
  readonly handbacks: number;
}

const MAX_CONCURRENT_PULLS = 4;
/**
 * The lane pulls ahead (a second window) only while its oldest unsettled
 * record was taken in less than this share of `ack_wait` ago.
 */
const KEEP_UP_SHARE_OF_ACK_WAIT = 0.1;
/** Added to the server-side expiry of closed pull requests before handed-back records are redelivered. */
const STALE_PULL_MARGIN_MS = 500;

/**
 * One lane over a durable pull consumer: credit-based pulls, explicit
 * settlement, and automatic `working()` for records held past half of
 * `ack_wait`. Credit: records requested plus held (unsettled, or waiting for
 * their hand-back count) stay within one window of `maxInFlight`, or within
 * two while the lane keeps up (its oldest unsettled record was taken in less
 * than a tenth of `ack_wait` ago): the next pull then goes out when records
 * arrive, not when the runtime settled them, and a record pulled ahead waits
 * behind at most one window of records being handled quickly.
 *
 * Contract: records arrive at the sink in the order the server sent them;
 * `settle`/`nack` of a record the lane no longer tracks (already
 * settled, or redelivered elsewhere) are ignored. After `stop()` nothing is
 * delivered; records still unsettled are handed back (NAKed) so another member
 * gets them.
 *
 * Attempts: a record's `deliveryCount` is the server's delivery count minus
 * its hand-backs (NAKs without a handler run: at stop or revoke, or an early
 * delivery of a delayed publish), so it counts the runtime's attempts only.
 * A redelivered record waits for its count to be read (records behind it wait
 * too, keeping order). On the last delivery `max_deliver` allows, the record
 * is reported as its final attempt (`maxAttempts`), so a failure dead-letters
 * it through the runtime instead of the server dropping it.
 */
export class JetStreamLane implements MessageLaneHandle {
  readonly ackModel = 'message';
  readonly id: LaneId;
  private sink: LaneSink | undefined;
  private readonly unsettled = new Map<string, Tracked>();
  /** Open pull requests and when the server expires each. */
  private readonly pulls = new Map<ConsumerMessages, number>();
  /** Until when the server may still hold pull requests this lane closed (see {@link handBackDelay}). */
  private staleUntil = 0;
  private requested = 0;
  private paused = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private outbox: InboundRecord[] = [];
  /** Records received but waiting for their hand-back count (delivered in order after it). */
  private admitting = 0;
  private intake: Promise<void> = Promise.resolve();
  private flushScheduled = false;
  /** `working()` for records held past half of `ack_wait`. */
  private readonly touch: WorkingTouch;
  private ackFlush: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  private cooldownUntil = 0;
  /** Last pull failure, for health; cleared by a successful pull. */
  lastError: string | undefined;
  delivered = 0;

  constructor(
    private readonly consumer: Consumer,
    private readonly nc: NatsConnection,
    private readonly cfg: JetStreamLaneConfig,
  ) {
    this.id = cfg.id;
    this.touch = new WorkingTouch(
      cfg.clock,
      cfg.ackWaitMs,
      () => this.unsettled.values(),
      () => this.stopped && this.unsettled.size === 0,
    );
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
    this.touch.start();
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
        if (t.handbacks > 0) this.cfg.handbacks?.clear(this.cfg.stream, this.cfg.durable, t.msg.seq);
      }
    } catch (err) {
      throw mapNatsError(err, `${outcome} on "${this.id.topic}"`);
    } finally {
      this.poke();
    }
    if (this.cfg.confirmAcks || outcome === 'term') await this.flushAcks();
  }

  nack(record: InboundRecord, delayMs: number): Promise<void> {
    const t = this.unsettled.get(record.offset);
    if (!t) return Promise.resolve();
    this.unsettled.delete(record.offset);
    // A delayed retry after a handler run: the redelivery's count is the next attempt (not a hand-back).
    try {
      t.msg.nak(Math.max(0, Math.round(delayMs)));
    } catch (err) {
      return Promise.reject(mapNatsError(err, `nak on "${this.id.topic}"`));
    } finally {
      this.poke();
    }
    return Promise.resolve();
  }

  /** Stop pulling and close open pull requests. Records already delivered stay settleable. */
  async stopPulling(): Promise<void> {
    this.stopped = true;
    this.poke();
    for (const expires of this.pulls.values()) this.staleUntil = Math.max(this.staleUntil, expires);
    await Promise.all([...this.pulls.keys()].map((p) => p.close().catch(() => undefined)));
    await this.loop?.catch(() => undefined);
  }

  /** After revocation: hand back what the runtime did not settle (not counted as attempts) and stop the working() timer. */
  async release(): Promise<void> {
    this.stopped = true;
    this.touch.stop();
    const held = [...this.unsettled.values()];
    this.unsettled.clear();
    // Counts first (in parallel), then the NAKs in delivery order: the server redelivers in NAK order,
    // which keeps per-key order for the next member.
    const ledger = this.cfg.handbacks;
    if (ledger)
      await Promise.all(held.map((t) => ledger.add(this.cfg.stream, this.cfg.durable, t.msg.seq, t.handbacks)));
    const delay = this.handBackDelay();
    for (const t of held) {
      try {
        t.msg.nak(delay > 0 ? Math.round(delay) : undefined);
      } catch {
        /* connection gone: ack_wait redelivers */
      }
    }
    await this.intake;
  }

  /**
   * How long a hand-back at stop waits before the server redelivers it: until
   * the pull requests this lane closed have expired on the server. nats-server
   * 2.9 keeps a closed pull request waiting until it expires; a NAK processed
   * while such a stale request is the only one waiting loses its place (the
   * record waits for `ack_wait`, and the record delivered last is sent again
   * as a first delivery), which breaks per-key order and the attempt count.
   * Redelivery is therefore held until the stale requests are gone (at most
   * `pullExpiresMs` plus a margin); 0 when none are left.
   */
  private handBackDelay(): number {
    const remaining = this.staleUntil - this.cfg.clock.now();
    return remaining > 0 ? remaining + STALE_PULL_MARGIN_MS : 0;
  }

  /**
   * Give a record back to the consumer without a handler run: record the
   * hand-back first, then NAK (a lost NAK is redelivered after `ack_wait` and
   * still finds the count).
   */
  private async handBack(m: JsMsg, previous: number, delayMs: number): Promise<void> {
    await this.cfg.handbacks?.add(this.cfg.stream, this.cfg.durable, m.seq, previous);
    try {
      m.nak(delayMs > 0 ? Math.round(delayMs) : undefined);
    } catch {
      /* connection gone: ack_wait redelivers */
    }
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
      const window = this.keepingUp() ? 2 * this.cfg.maxInFlight : this.cfg.maxInFlight;
      const credit = window - this.unsettled.size - this.requested - this.admitting;
      const canPull =
        !this.paused &&
        !this.nc.isClosed() &&
        this.pulls.size < MAX_CONCURRENT_PULLS &&
        (credit >= threshold || (credit > 0 && this.requested === 0));
      if (!canPull) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
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
      // Records of every open pull are taken in the order they arrive on the connection (a callback, not one
      // async iterator per pull: iterators drained concurrently interleave, and the lane must see stream order).
      const state = { received: 0 };
      this.requested += credit;
      try {
        const pull = await this.consumer.fetch({
          max_messages: credit,
          expires: this.cfg.pullExpiresMs,
          callback: (m: JsMsg) => {
            state.received++;
            this.requested--;
            this.accept(m);
          },
        } as FetchOptions);
        failures = 0;
        this.lastError = undefined;
        this.pulls.set(pull, this.cfg.clock.now() + this.cfg.pullExpiresMs);
        void this.settlePull(pull, credit, state);
      } catch (err) {
        this.requested -= credit - state.received;
        failures++;
        this.lastError = err instanceof Error ? err.message : String(err);
        const backoff = cappedBackoff(failures, 5000);
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.cfg.clock.setTimeout(() => this.poke(), backoff);
        });
      }
    }
  }

  /** True while the oldest unsettled record was taken in less than {@link KEEP_UP_SHARE_OF_ACK_WAIT} of `ack_wait` ago. */
  private keepingUp(): boolean {
    const oldest = this.unsettled.values().next();
    if (oldest.done === true) return true;
    return this.cfg.clock.now() - oldest.value.admittedAt < this.cfg.ackWaitMs * KEEP_UP_SHARE_OF_ACK_WAIT;
  }

  /** When a pull ends (filled, expired or failed): give back the credit it did not use. */
  private async settlePull(pull: ConsumerMessages, batch: number, state: { readonly received: number }): Promise<void> {
    try {
      const err = await pull.closed();
      if (err instanceof Error) {
        this.lastError = err.message;
        if (state.received === 0) this.cooldownUntil = this.cfg.clock.now() + 1000;
      }
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      if (state.received === 0) this.cooldownUntil = this.cfg.clock.now() + 1000;
    } finally {
      this.requested -= batch - state.received;
      this.pulls.delete(pull);
      this.poke();
    }
  }

  private accept(m: JsMsg): void {
    const redelivered = m.info.deliveryCount > 1;
    if (!redelivered && this.admitting === 0) {
      this.admit(m, 0);
      return;
    }
    // A redelivery reads its hand-back count first; later records queue behind it (order kept).
    this.admitting++;
    const count =
      redelivered && this.cfg.handbacks
        ? this.cfg.handbacks.count(this.cfg.stream, this.cfg.durable, m.seq)
        : Promise.resolve(0);
    this.intake = this.intake
      .then(() => count)
      .then((n) => {
        this.admitting--;
        this.admit(m, n);
      })
      .catch(() => {
        /* admit does not throw; keep the chain alive regardless */
      });
  }

  private admit(m: JsMsg, handbacks: number): void {
    if (this.stopped) {
      void this.handBack(m, handbacks, this.handBackDelay());
      return;
    }
    const { headers, key, notBefore, tombstone } = fromNatsHeaders(m.headers);
    const now = this.cfg.clock.now();
    if (notBefore !== undefined && notBefore > now) {
      void this.handBack(m, handbacks, notBefore - now);
      return;
    }
    const offset = String(m.seq);
    this.unsettled.set(offset, { msg: m, admittedAt: now, touchedAt: now, handbacks });
    this.delivered++;
    this.outbox.push({
      key,
      headers,
      offset,
      value: tombstone ? null : m.data,
      timestamp: Math.floor(m.info.timestampNanos / 1e6),
      deliveryCount: this.attemptOf(m.info.deliveryCount, handbacks),
      redelivered: m.info.deliveryCount > 1,
    });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushOutbox());
    }
  }

  /** The attempt a delivery is: handler runs only; the final one when the server will not deliver again. */
  private attemptOf(deliveryCount: number, handbacks: number): number {
    const attempt = Math.max(1, deliveryCount - handbacks);
    const last = this.cfg.maxDeliver > 0 && deliveryCount >= this.cfg.maxDeliver;
    return last ? Math.max(attempt, this.cfg.maxAttempts) : attempt;
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
        .then(() => {
          this.ackFlush = undefined;
          return this.nc.flush();
        })
        .catch((err: unknown) => {
          throw mapNatsError(err, `confirm acks on "${this.id.topic}"`);
        });
    }
    return this.ackFlush;
  }
}
