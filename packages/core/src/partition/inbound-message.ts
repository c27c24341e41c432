import type { LaneRef } from '../app/app-types.js';
import type { HandlerContext } from '../handler/handler.js';
import type { Logger } from '../logger/logger.js';
import type { Message } from '../message/message.js';
import type { InboundRecord } from '../transport/transport.js';
import type { Entry } from './entry.js';
import type { LaneContext } from './lane-context.js';

/** The `Message` a handler receives; `id` is computed on demand. */
export class InboundMessage<T = unknown> implements Message<T> {
  private readonly rec: InboundRecord;
  readonly value: T;
  /** The attempt this message was made for: a later attempt of the same entry does not change it. */
  readonly attempt: number;
  constructor(
    private readonly lane: LaneRef,
    entry: Entry,
  ) {
    this.rec = entry.rec;
    this.value = entry.value as T;
    this.attempt = entry.attempt;
  }
  get id(): string {
    return `${this.lane.topic}/${this.lane.partition}/${this.rec.offset}`;
  }
  get topic(): string {
    return this.lane.topic;
  }
  get key(): string | undefined {
    return this.rec.key;
  }
  get headers(): Readonly<Record<string, string>> {
    return this.rec.headers;
  }
  get partition(): number {
    return this.lane.partition;
  }
  get offset(): string {
    return this.rec.offset;
  }
  get timestamp(): number {
    return this.rec.timestamp;
  }
  toJSON(): Message<T> {
    const { id, topic, key, value, headers, partition, offset, timestamp, attempt } = this;
    return { id, topic, key, value, headers, partition, offset, timestamp, attempt };
  }
}

const NOT_ABORTED: unique symbol = Symbol('not aborted');

/**
 * The context of one attempt. Its `signal` belongs to this attempt alone: it
 * is aborted at this attempt's deadline (or by the drain) whether or not the
 * handler read it before; the AbortController behind it is created on first
 * read, as most handlers never look.
 */
export class HandlerCtx implements HandlerContext {
  private ac: AbortController | undefined;
  private abortedWith: unknown = NOT_ABORTED;
  private log: Logger | undefined;
  readonly attempt: number;
  constructor(
    private readonly owner: { readonly ref: LaneRef },
    private readonly entry: Entry,
    private readonly ctx: LaneContext,
  ) {
    this.attempt = entry.attempt;
  }
  get signal(): AbortSignal {
    if (this.ac === undefined) {
      this.ac = new AbortController();
      if (this.abortedWith !== NOT_ABORTED) this.ac.abort(this.abortedWith);
    }
    return this.ac.signal;
  }
  /** End this attempt: its signal aborts with `reason` (now, or when first read). */
  abort(reason: unknown): void {
    if (this.abortedWith !== NOT_ABORTED) return;
    this.abortedWith = reason;
    this.ac?.abort(reason);
  }
  get handler(): string {
    return this.ctx.handler.name;
  }
  get group(): string {
    return this.owner.ref.group;
  }
  /** The lane's logger with this message's fields, made on first read (most handlers never log). */
  get logger(): Logger {
    return (this.log ??= this.ctx.logger.child({ ...this.entry.logFields(), attempt: this.attempt }));
  }
  publish(messages: Parameters<HandlerContext['publish']>[0]): Promise<void> {
    return this.ctx.publish(messages);
  }
}
