import { messageLogFields, type MessageLogFields } from '../logger/message-log-fields.js';
import type { AttemptScope } from '../instrumentation/instrumentation.js';
import type { InboundRecord } from '../transport/transport.js';

/** Per-message bookkeeping inside a partition actor (a plain object, no actor per message). */
export class Entry {
  /** Message lifecycle state code (see message-lifecycle.ts); 0 = received. */
  state = 0;
  /** Incremented on every dispatch; a completion carrying an older generation is ignored. */
  gen = 0;
  value: unknown = undefined;
  decoded = false;
  startedAt = 0;
  deadline = 0;
  /** The running attempt's context (inline handlers): the timeout and the drain abort its signal. */
  attemptCtx: { abort(reason: unknown): void } | undefined = undefined;
  /** The instrumentation's scope of the running inline attempt (only with an attempt hook). */
  scope: AttemptScope | undefined = undefined;
  /** The next entry waiting behind this one for the same key (an intrusive queue: no allocation per key). */
  nextSameKey: Entry | undefined = undefined;

  /**
   * Numeric offset for the offset model (parsed on first use: the offset
   * string is often cold in cache), arrival sequence for the message model.
   */
  get off(): number {
    if (this.offNum < 0) this.offNum = Number(this.rec.offset);
    return this.offNum;
  }

  constructor(
    readonly rec: InboundRecord,
    /** -1 until parsed from `rec.offset`. */
    private offNum: number,
    /** Bytes of the value, counted once. */
    readonly bytes: number,
    /** Scheduling key: messages sharing it run one at a time; undefined = independent. */
    readonly key: string | undefined,
    /** 0 until first read: most messages succeed without anyone asking. */
    private attemptNum: number,
  ) {}

  /** Delivery attempt, 1-based: from a delayed retry's `partita-attempt` header, the broker's count, or 1. */
  get attempt(): number {
    if (this.attemptNum === 0) {
      const header = this.rec.headers['partita-attempt'];
      this.attemptNum = header !== undefined ? Number(header) || 1 : (this.rec.deliveryCount ?? 1);
    }
    return this.attemptNum;
  }
  set attempt(n: number) {
    this.attemptNum = n;
  }

  /** The fields of a log line about this message (offset, attempt, key hash, trace id). */
  logFields(): MessageLogFields {
    const { offset, key, headers } = this.rec;
    return messageLogFields({ offset, key, headers, attempt: this.attempt });
  }
}
