/** Message headers: string keys and string values. */
export type Headers = Record<string, string>;

/** A message's id: unique within its lane (`${topic}/${partition}/${offset}`). */
export function messageId(topic: string, partition: number, offset: string): string {
  return `${topic}/${partition}/${offset}`;
}

/** A message as a handler sees it. */
export interface Message<T = unknown> {
  /** Unique within its lane: `${topic}/${partition}/${offset}`. */
  readonly id: string;
  readonly topic: string;
  readonly key: string | undefined;
  readonly value: T;
  readonly headers: Readonly<Headers>;
  readonly partition: number;
  /** The broker's own position (Kafka offset, JetStream sequence, Redis entry id, ...). */
  readonly offset: string;
  /** Broker timestamp in ms since the epoch. */
  readonly timestamp: number;
  /** 1 on the first delivery, incremented on every retry. */
  readonly attempt: number;
}

/** What `app.publish` and `ctx.publish` accept. */
export interface PublishMessage<T = unknown> {
  readonly topic: string;
  readonly key?: string;
  /** Encoded with the app's codec; `null` publishes a tombstone (no value; on Kafka, the delete marker). */
  readonly value: T;
  readonly headers?: Headers;
  /** Explicit partition; otherwise the key's hash decides. */
  readonly partition?: number;
  /** Deliver not before this many ms from now (where the transport supports delay). */
  readonly delayMs?: number;
  /** Higher is delivered first where the transport supports priority. */
  readonly priority?: number;
  /** Expire (drop, or dead-letter) if not delivered within this many ms. */
  readonly ttlMs?: number;
}
