import { parentPort } from 'node:worker_threads';
import type { Headers, Logger, Message } from '@partita/core';
import type { WireEvent } from '../wire/wire-task.js';

/**
 * What a worker handler gets besides the message (the worker-thread twin of
 * core's `HandlerContext`; there is no `publish` across the thread hop).
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
}

/** The default export of a worker module. */
export type WorkerHandler<T = unknown> = (msg: Message<T>, ctx: WorkerHandlerContext) => unknown;

/** Per-message context; the AbortController is created only when someone asks for the signal. */
export class WorkerContext implements WorkerHandlerContext {
  #controller: AbortController | undefined;

  constructor(
    readonly attempt: number,
    readonly handler: string,
    readonly logger: Logger,
    readonly trace: Readonly<Headers> | undefined,
    readonly threadId: number,
  ) {}

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
  const post = (level: 'debug' | 'info' | 'warn' | 'error') => (msg: string, fields?: Record<string, unknown>): void => {
    const event: WireEvent = { partita: 'log', level, msg: String(msg), fields, handler, threadId };
    try {
      parentPort?.postMessage(event);
    } catch {
      // Fields that cannot be cloned (functions, sockets) travel as JSON text.
      let text: string;
      try { text = JSON.stringify(fields); } catch { text = String(fields); }
      parentPort?.postMessage({ ...event, fields: { fields: text } });
    }
  };
  logger = { debug: post('debug'), info: post('info'), warn: post('warn'), error: post('error') };
  loggers.set(handler, logger);
  return logger;
}
