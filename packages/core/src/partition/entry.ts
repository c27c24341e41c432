import type { LaneRef } from '../app/app-types.js';
import type { HandlerContext } from '../handler/handler.js';
import type { Logger } from '../logger/logger.js';
import { messageLogFields, type MessageLogFields } from '../logger/message-log-fields.js';
import type { AttemptScope } from '../instrumentation/instrumentation.js';
import type { InboundRecord } from '../transport/transport.js';
import type { KeyQueue } from './key-scheduler.js';
import { AttemptExtras, AttemptSignal } from './attempt-signal.js';
import type { LaneContext } from './lane-context.js';
import { messageId } from '../message/message.js';

/** `Entry.value` until the value is decoded. */
const UNDECODED: unique symbol = Symbol('undecoded');

/** What the entries of one lane share: the lane and what a handler's context reads of its app. */
export interface EntryLane {
  readonly ref: LaneRef;
  readonly ctx: Pick<LaneContext, 'handler' | 'logger' | 'publish'>;
}

/**
 * Per-message bookkeeping inside a partition actor (a plain object, no actor
 * per message), which is also the `HandlerContext` of the message's first
 * attempt: two objects per record in flight instead of three (the message,
 * an `InboundMessage`, keeps the decoded value the entry drops when settled;
 * docs/architecture.md, decision 53). A later attempt gets a context of its
 * own (`HandlerCtx`), so what a handler kept of an earlier attempt does not
 * change: `attempt` here is the first attempt's number, `attemptNo` the
 * current one.
 */
export class Entry extends AttemptSignal implements HandlerContext {
  // One field is 8 bytes on Node (no pointer compression) and one entry is kept per record in flight:
  // what can be derived is (deadline, whether decoded), what is rare lives in `extras`.
  /** Message lifecycle state code (see message-lifecycle.ts); 0 = received. */
  state = 0;
  /** Incremented on every dispatch; a completion carrying an older generation is ignored. */
  gen = 0;
  /** The decoded value (inline handlers), from decode to settle. */
  value: unknown = UNDECODED;
  /**
   * When the running attempt started, in ms after the lane's turn-clock
   * origin (a small integer: a time since the epoch would take a number box per entry).
   */
  startedAt = 0;
  /** The instrumentation's scope of the running inline attempt (only with an attempt hook). */
  scope: AttemptScope | undefined = undefined;
  /** The next entry waiting behind this one for the same key (an intrusive queue: no allocation per key). */
  nextSameKey: Entry | undefined = undefined;
  /** Its key's queue in the lane's key scheduler, from `add` on; undefined for an entry no key orders. */
  keyQueue: KeyQueue | undefined = undefined;
  /** Retries begun in this lane (the current attempt is `attempt + retries`). */
  retries = 0;
  /** 0 until first read: most messages succeed without anyone asking. */
  private attemptNum = 0;

  constructor(
    readonly lane: EntryLane,
    readonly rec: InboundRecord,
    /** -1 until parsed from `rec.offset`. */
    private offNum: number,
    /** Bytes of the value, counted once (what backpressure counts; reading `byteLength` per use cost 2 % of a profile). */
    readonly bytes: number,
  ) {
    super();
  }

  /** Scheduling key, once scheduled: messages sharing it run one at a time; undefined = independent. */
  get orderKey(): string | undefined {
    return this.keyQueue?.key;
  }

  /** Whether `value` holds the decoded value. */
  get decoded(): boolean {
    return this.value !== UNDECODED;
  }

  /** The running attempt's context (inline handlers): the timeout and the drain abort its signal. */
  get attemptCtx(): AttemptSignal | undefined {
    return this.gen <= 1 ? this : this.extras?.later;
  }

  /** A later attempt runs with a context of its own. */
  runsLaterAttemptIn(ctx: AttemptSignal): void {
    (this.extras ??= new AttemptExtras()).later = ctx;
  }

  /**
   * Numeric offset for the offset model (parsed on first use: the offset
   * string is often cold in cache), arrival sequence for the message model.
   */
  get off(): number {
    if (this.offNum < 0) this.offNum = Number(this.rec.offset);
    return this.offNum;
  }

  /**
   * The first attempt's number, 1-based: from a delayed retry's
   * `partita-attempt` header, the broker's count, or 1. What this entry says
   * as the first attempt's message and context.
   */
  get attempt(): number {
    if (this.attemptNum === 0) {
      const header = this.rec.headers['partita-attempt'];
      this.attemptNum = header !== undefined ? Number(header) || 1 : (this.rec.deliveryCount ?? 1);
    }
    return this.attemptNum;
  }

  /** The current attempt's number. */
  get attemptNo(): number {
    return this.attempt + this.retries;
  }

  // What the messages made of this entry read (`InboundMessage`)
  get id(): string {
    return messageId(this.lane.ref.topic, this.lane.ref.partition, this.rec.offset);
  }
  get topic(): string {
    return this.lane.ref.topic;
  }
  get partition(): number {
    return this.lane.ref.partition;
  }

  // HandlerContext (the first attempt's)
  get handler(): string {
    return this.lane.ctx.handler.name;
  }
  get group(): string {
    return this.lane.ref.group;
  }
  /** The lane's logger with this message's fields, made on first read (most handlers never log). */
  get logger(): Logger {
    return this.cachedLogger(() => this.lane.ctx.logger.child({ ...this.logFields(), attempt: this.attempt }));
  }
  publish(messages: Parameters<HandlerContext['publish']>[0]): Promise<void> {
    return this.lane.ctx.publish(messages);
  }

  /** The fields of a log line about this message's current attempt (offset, attempt, key hash, trace id). */
  logFields(): MessageLogFields {
    const { offset, key, headers } = this.rec;
    return messageLogFields({ offset, key, headers, attempt: this.attemptNo });
  }
}
