import type { AttachContext } from '../logger/component-logger.js';
import type { Headers } from '../message/message.js';
import type { OutboundRecord } from '../transport/transport.js';

/** One message shipped to an executor: raw bytes, decoded on the other side. */
export interface ExecutorMessage {
  readonly id: string;
  readonly topic: string;
  readonly key: string | undefined;
  /** Raw value bytes; `null` for a tombstone (the handler sees `value: null`). */
  readonly value: Uint8Array | null;
  readonly headers: Headers;
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: number;
  readonly attempt: number;
}

/** A batch for one worker handler. */
export interface ExecutorTask {
  readonly handler: string;
  /** Module whose default export is `(msg, ctx) => result`. */
  readonly worker: string;
  /** Per-message timeout; the executor must fail (not hang on) a message past it. */
  readonly timeoutMs: number;
  /** Content type of the values (the codec the worker must decode with). */
  readonly contentType: string;
  /**
   * URL of a module whose default export is the app's codec (`Codec.workerModule`),
   * for content types the executor does not know itself. Workers decode
   * messages and encode what handlers publish with it.
   */
  readonly codecModule?: string;
  readonly messages: readonly ExecutorMessage[];
  /** Trace context to continue in the worker (W3C `traceparent` etc.). */
  readonly trace?: Headers;
  /**
   * The lane's log bindings (`handler`, `group`, `topic`, `partition`): an
   * executor adds them, with the message's `messageLogFields`, to every line
   * a handler logs with `ctx.logger`, and sends those lines to the app's
   * logger (`attach`).
   */
  readonly logBindings?: Readonly<Record<string, unknown>>;
}

/** Outcome per message, in the order of `task.messages`. */
export type ExecutorOutcome =
  | {
      readonly ok: true;
      /**
       * What the attempt published with `ctx.publish`, already encoded, in
       * order. The runtime publishes them and settles the message only once
       * the broker confirmed them; an attempt that failed publishes nothing.
       */
      readonly published?: readonly OutboundRecord[];
    }
  | { readonly ok: false; readonly error: SerializedError };

/** An error that crossed a thread or process boundary. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly code?: string;
  readonly retryable: boolean;
}

/**
 * Runs worker handlers off the event loop.
 *
 * Contract: `run` resolves with one outcome per message and never rejects
 * for a handler failure, a crashed thread or a timeout (those are failed
 * outcomes); it rejects only when the executor is closed. `saturated` is true
 * while the queue is full; `onCapacity` listeners fire when it drains.
 * `close(drainMs)` waits for running tasks up to `drainMs`, then terminates.
 * `attach`, when present, is called by `createApp`: the executor logs (its
 * own lines and its handlers') to the app's logger from then on.
 */
export interface Executor {
  /** Receive the app's logger (optional, as `Transport.attach`). Must not throw. */
  attach?(context: AttachContext): void;
  start(): Promise<void>;
  run(task: ExecutorTask): Promise<readonly ExecutorOutcome[]>;
  readonly saturated: boolean;
  /** Register a listener called when the executor has room again. Returns an unsubscribe function. */
  onCapacity(listener: () => void): () => void;
  /** Preferred number of messages per task for `handler` (adapts to handler speed). */
  batchSize(handler: string): number;
  stats(): Readonly<Record<string, unknown>>;
  close(drainTimeoutMs: number): Promise<void>;
}
