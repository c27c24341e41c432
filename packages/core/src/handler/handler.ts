import type { Logger } from '../logger/logger.js';
import type { Message, PublishMessage } from '../message/message.js';

/** What a handler gets besides the message. */
export interface HandlerContext {
  /** Aborted when the handler times out or the app stops past its drain deadline. */
  readonly signal: AbortSignal;
  readonly attempt: number;
  readonly handler: string;
  readonly group: string;
  /**
   * The app's logger as a child for this attempt: the lane's `handler`,
   * `group`, `topic`, `partition` and the message's `offset`, `attempt`,
   * `keyHash` (never the key) and `traceId` on every line.
   */
  readonly logger: Logger;
  /** Publish through the app's transport and codec. */
  publish(messages: PublishMessage | readonly PublishMessage[]): Promise<void>;
}

/** Handles one message; may return a promise, which is awaited. The result is otherwise ignored. */
export type HandleFn<T = unknown> = (msg: Message<T>, ctx: HandlerContext) => unknown;

/** Backoff between blocking retries: `initialMs * multiplier^(attempt-1)`, capped, with ± jitter. */
export interface BackoffOptions {
  /** @defaultValue 200 */
  readonly initialMs?: number;
  /** @defaultValue 2 */
  readonly multiplier?: number;
  /** Cap of one delay; `Infinity` for no cap. @defaultValue 60_000 */
  readonly maxMs?: number;
  /** Fraction of the delay to randomise, 0..1. @defaultValue 0.2 */
  readonly jitter?: number;
}

export interface RetryOptions {
  /** Total attempts including the first. 1 = no retry. @defaultValue 5 */
  readonly maxAttempts?: number;
  /** `blocking` retries in place (order per key kept); `delayed` uses the broker's delay. @defaultValue 'blocking' */
  readonly mode?: 'blocking' | 'delayed';
  readonly backoff?: BackoffOptions;
  /** Return false to dead-letter at once. @defaultValue isRetryable */
  readonly retryable?: (err: unknown) => boolean;
}

export interface DeadLetterOptions {
  /** @defaultValue `${topic}${dlqSuffix}` */
  readonly topic?: string;
}

export interface HandlerOptions<T = unknown> {
  /** Unique per app; also the default consumer group. */
  readonly name: string;
  readonly topic: string;
  /** @defaultValue name */
  readonly group?: string;
  /** @defaultValue 'key' */
  readonly ordering?: 'key' | 'partition' | 'none';
  /** Per partition lane. @defaultValue 64 */
  readonly maxInFlight?: number;
  /**
   * Per attempt: past it `ctx.signal` aborts and the attempt counts as a
   * failure. `Infinity` for no limit. @defaultValue 30_000
   */
  readonly timeoutMs?: number;
  readonly retry?: RetryOptions;
  /** `false` disables dead-lettering: exhausted messages are logged and skipped. */
  readonly deadLetter?: DeadLetterOptions | false;
  /** Where a new group starts. @defaultValue 'earliest' */
  readonly startFrom?: 'earliest' | 'latest';
  /** Event-loop handler. Exactly one of `handle` and `worker`. */
  readonly handle?: HandleFn<T>;
  /** Worker module (URL or path) whose default export is the handler; needs `createApp({ executor })`. */
  readonly worker?: URL | string;
}

/** A validated handler definition with every default filled in. */
export interface HandlerDefinition<T = unknown> {
  readonly kind: 'partita.handler';
  readonly name: string;
  readonly topic: string;
  readonly group: string;
  readonly ordering: 'key' | 'partition' | 'none';
  readonly maxInFlight: number;
  readonly timeoutMs: number;
  readonly retry: {
    readonly maxAttempts: number;
    readonly mode: 'blocking' | 'delayed';
    readonly backoff: Required<BackoffOptions>;
    readonly retryable: (err: unknown) => boolean;
  };
  /** `undefined` topic means "default: topic + app dlqSuffix". */
  readonly deadLetter: { readonly topic: string | undefined } | false;
  readonly startFrom: 'earliest' | 'latest';
  readonly handle: HandleFn<T> | undefined;
  /** Absolute file URL string of the worker module. */
  readonly worker: string | undefined;
  /**
   * Options left to their built-in default (not given to `defineHandler`);
   * `createApp` may fill these from the environment (`PARTITA_RETRY_*`).
   */
  readonly defaulted?: readonly DefaultableOption[];
}

/**
 * A handler definition of any message type, as an app holds its handlers:
 * `HandlerDefinition<T>` is assignable to it for every `T`, since `T` appears
 * only in the parameter of `handle`.
 */
export type AnyHandlerDefinition = HandlerDefinition<never>;

/** Handler options whose default an environment variable can replace. */
export type DefaultableOption = 'retry.maxAttempts' | 'retry.backoff.initialMs' | 'retry.backoff.maxMs';
