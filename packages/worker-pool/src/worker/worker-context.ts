import { inspect } from 'node:util';
import { parentPort } from 'node:worker_threads';
import {
  ClosedError,
  encodeOutbound,
  type Codec,
  type Headers,
  type Logger,
  type Message,
  type PublishMessage,
} from '@partita/core';
import type { StagedRecord } from '../wire/wire-published.js';
import type { WireEvent } from '../wire/wire-task.js';

/**
 * What a worker handler gets besides the message (the worker-thread twin of
 * core's `HandlerContext`).
 */
export interface WorkerHandlerContext {
  /** Aborted when the message exceeds the handler's `timeoutMs`. */
  readonly signal: AbortSignal;
  /** 1 on the first delivery, incremented on every retry. */
  readonly attempt: number;
  /** The handler's name. */
  readonly handler: string;
  /** Forwards records to the pool's logger on the main thread. */
  readonly logger: Logger;
  /** Trace context to continue: the message's own `traceparent`/`tracestate` headers, else the task's (injected by the runtime). */
  readonly trace: Readonly<Headers> | undefined;
  /** The worker thread's id. */
  readonly threadId: number;
  /**
   * Publish from the worker, encoded here with the app's codec. The records
   * are staged with this attempt: they are sent (from the main thread, in one
   * batch per task) only if the attempt succeeds, and the message settles
   * only once the broker confirmed them. An attempt that throws, times out or
   * whose thread dies publishes nothing. Resolves when staged; rejects when
   * the value cannot be encoded or the attempt already ended.
   */
  publish(messages: PublishMessage | readonly PublishMessage[]): Promise<void>;
}

/** The default export of a worker module. */
export type WorkerHandler<T = unknown> = (msg: Message<T>, ctx: WorkerHandlerContext) => unknown;

/** Per-message context; the AbortController is created only when someone asks for the signal. */
export class WorkerContext implements WorkerHandlerContext {
  #controller: AbortController | undefined;
  /** Records this attempt published, in order; taken by the task runner when it succeeds. */
  readonly staged: StagedRecord[] = [];
  #ended = false;

  constructor(
    readonly attempt: number,
    readonly handler: string,
    readonly logger: Logger,
    readonly trace: Readonly<Headers> | undefined,
    readonly threadId: number,
    private readonly codec: Codec | undefined,
  ) {}

  publish(messages: PublishMessage | readonly PublishMessage[]): Promise<void> {
    try {
      if (this.#ended)
        throw new ClosedError(
          `ctx.publish: the attempt of handler "${this.handler}" already ended; publish before the handler returns`,
        );
      const list = Array.isArray(messages) ? (messages as readonly PublishMessage[]) : [messages as PublishMessage];
      const records = list.map((m) => stage(m, this.codec));
      this.staged.push(...records);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The attempt is over: later publishes reject. */
  end(): void {
    this.#ended = true;
  }

  get signal(): AbortSignal {
    return (this.#controller ??= new AbortController()).signal;
  }

  /** Abort the signal with `reason` (timeout). */
  abort(reason: unknown): void {
    (this.#controller ??= new AbortController()).abort(reason);
  }
}

const loggers = new Map<string, Logger>();

/** A logger whose records travel to the main thread over the parent port. */
export function workerLogger(handler: string, threadId: number): Logger {
  let logger = loggers.get(handler);
  if (logger) return logger;
  const post =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (msg: string, fields?: Record<string, unknown>): void => {
      const event: WireEvent = { partita: 'log', level, msg: String(msg), fields, handler, threadId };
      try {
        parentPort?.postMessage(event);
      } catch {
        // Fields that cannot be cloned (functions, sockets) travel as JSON text.
        let text: string;
        try {
          text = JSON.stringify(fields);
        } catch {
          text = inspect(fields); // circular or BigInt fields: still readable
        }
        parentPort?.postMessage({ ...event, fields: { fields: text } });
      }
    };
  logger = { debug: post('debug'), info: post('info'), warn: post('warn'), error: post('error') };
  loggers.set(handler, logger);
  return logger;
}

/**
 * What a worker checks a publish against: the app's transport is on the main
 * thread, which refuses features it lacks before sending (`checkFeatures`).
 */
const ANY_TRANSPORT = {
  name: 'worker',
  capabilities: {
    ackModel: 'message',
    partitions: true,
    consumerGroups: true,
    nativeDelay: true,
    priority: true,
    ttl: true,
    replay: true,
  },
} as const;

/** Validate and encode one record published from a worker, with the same checks as `app.publish`. */
function stage(m: PublishMessage, codec: Codec | undefined): StagedRecord {
  if (codec === undefined && m?.value !== null)
    throw new TypeError(
      'ctx.publish: no codec to encode with in this worker (set Codec.workerModule on the app codec)',
    );
  const { value, ...rest } = encodeOutbound(m, codec!, ANY_TRANSPORT);
  return { ...rest, value };
}
