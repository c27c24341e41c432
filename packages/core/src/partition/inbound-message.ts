import type { HandlerContext } from '../handler/handler.js';
import type { Logger } from '../logger/logger.js';
import type { Message } from '../message/message.js';
import { AttemptSignal } from './attempt-signal.js';
import type { Entry } from './entry.js';

/**
 * The `Message` of one attempt of an entry, and what app events carry: it
 * keeps the value (the entry drops its own when settled) and the attempt it
 * was made for; `id` is computed on demand.
 */
export class InboundMessage<T = unknown> implements Message<T> {
  readonly value: T;
  /** The entry's retries when this message was made (its attempt is read on demand: most handlers never ask). */
  private readonly retries: number;
  constructor(private readonly entry: Entry) {
    this.value = (entry.decoded ? entry.value : undefined) as T;
    this.retries = entry.retries;
  }
  /** The attempt this message was made for: a later attempt of the same entry does not change it. */
  get attempt(): number {
    return this.entry.attempt + this.retries;
  }
  get id(): string {
    return this.entry.id;
  }
  get topic(): string {
    return this.entry.topic;
  }
  get key(): string | undefined {
    return this.entry.rec.key;
  }
  get headers(): Readonly<Record<string, string>> {
    return this.entry.rec.headers;
  }
  get partition(): number {
    return this.entry.partition;
  }
  get offset(): string {
    return this.entry.rec.offset;
  }
  get timestamp(): number {
    return this.entry.rec.timestamp;
  }
  toJSON(): Message<T> {
    return messageJson(this);
  }
  [Symbol.for('nodejs.util.inspect.custom')](): Message<T> {
    return messageJson(this);
  }
}

/** A message as plain data (what `JSON.stringify` and `util.inspect` show of it). */
export function messageJson<T>(m: Message<T>): Message<T> {
  const { id, topic, key, value, headers, partition, offset, timestamp, attempt } = m;
  return { id, topic, key, value, headers, partition, offset, timestamp, attempt };
}

/** The context of an entry's later attempt (the first attempt's context is the entry itself). */
export class HandlerCtx extends AttemptSignal implements HandlerContext {
  readonly attempt: number;
  constructor(private readonly entry: Entry) {
    super();
    this.attempt = entry.attemptNo;
  }
  get handler(): string {
    return this.entry.handler;
  }
  get group(): string {
    return this.entry.group;
  }
  /** The lane's logger with this message's fields, made on first read (most handlers never log). */
  get logger(): Logger {
    return this.cachedLogger(() =>
      this.entry.lane.ctx.logger.child({ ...this.entry.logFields(), attempt: this.attempt }),
    );
  }
  publish(messages: Parameters<HandlerContext['publish']>[0]): Promise<void> {
    return this.entry.publish(messages);
  }
}
