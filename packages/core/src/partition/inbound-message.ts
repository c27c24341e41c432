import type { LaneRef } from '../app/app-types.js';
import type { HandlerContext, Logger } from '../handler/handler.js';
import type { Message } from '../message/message.js';
import type { InboundRecord } from '../transport/transport.js';
import type { Entry } from './entry.js';
import type { LaneContext } from './lane-context.js';

/** The `Message` a handler receives; `id` is computed on demand. */
export class InboundMessage<T = unknown> implements Message<T> {
  private readonly rec: InboundRecord;
  readonly value: T;
  /** Fixed at dispatch time when read; computed lazily from the entry otherwise. */
  private readonly entry: Entry;
  constructor(
    private readonly lane: LaneRef,
    entry: Entry,
  ) {
    this.rec = entry.rec;
    this.value = entry.value as T;
    this.entry = entry;
  }
  get attempt(): number {
    return this.entry.attempt;
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

/** The handler context; the AbortController behind `signal` is created on first use. */
export class HandlerCtx implements HandlerContext {
  constructor(
    private readonly owner: { readonly ref: LaneRef },
    private readonly entry: Entry,
    private readonly ctx: LaneContext,
  ) {}
  get signal(): AbortSignal {
    return (this.entry.ac ??= new AbortController()).signal;
  }
  get attempt(): number {
    return this.entry.attempt;
  }
  get handler(): string {
    return this.ctx.handler.name;
  }
  get group(): string {
    return this.owner.ref.group;
  }
  get logger(): Logger {
    return this.ctx.logger;
  }
  publish(messages: Parameters<HandlerContext['publish']>[0]): Promise<void> {
    return this.ctx.publish(messages);
  }
}
