import { inspect } from 'node:util';
import { parentPort } from 'node:worker_threads';
import {
  ClosedError,
  encodeOutbound,
  isLevelEnabled,
  messageLogFields,
  type Codec,
  type Headers,
  type LogMethod,
  type Logger,
  type Message,
  type PublishMessage,
} from '@partita/core';
import type { StagedRecord } from '../wire/wire-published.js';
import type { WireEvent, WireLog } from '../wire/wire-task.js';

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
  /**
   * The app's logger on this thread, in the same shape (`(obj, msg)`,
   * `child`): its lines reach the app's logger on the main thread with the
   * lane's `handler`, `group`, `topic`, `partition`, the message's
   * `offset`, `attempt`, `keyHash`, `traceId`, and `threadId`.
   */
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
  #logger: Logger | undefined;
  /** Records this attempt published, in order; taken by the task runner when it succeeds. */
  readonly staged: StagedRecord[] = [];
  #ended = false;
  readonly attempt: number;

  constructor(
    private readonly msg: Message,
    readonly handler: string,
    /** The task's logger (lane bindings); `logger` is its child for this message, made on first read. */
    private readonly taskLogger: Logger,
    readonly trace: Readonly<Headers> | undefined,
    readonly threadId: number,
    private readonly codec: Codec | undefined,
  ) {
    this.attempt = msg.attempt;
  }

  get logger(): Logger {
    return (this.#logger ??= this.taskLogger.child(messageLogFields(this.msg)));
  }

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

/** Post one line to the main thread; fields that cannot be cloned (functions, sockets) travel as text. */
function post(event: WireEvent & { partita: 'log' }): void {
  try {
    parentPort?.postMessage(event);
  } catch {
    const { fields, ...rest } = event;
    let text: string;
    try {
      text = JSON.stringify(fields, (_k, v: unknown) => (v instanceof Error ? `${v.name}: ${v.message}` : v));
    } catch {
      text = inspect(fields); // circular or BigInt fields: still readable
    }
    parentPort?.postMessage({ ...rest, fields: { fields: text } });
  }
}

/**
 * A logger in pino's shape whose lines travel to the main thread over the
 * parent port, with `log.bindings` (and its children's) as fields. Lines
 * below `log.level` are dropped here, before they cost a message.
 */
export function workerLogger(log: WireLog, bindings: Readonly<Record<string, unknown>> = log.bindings): Logger {
  const at =
    (level: LogMethod) =>
    (a: object | string, b?: string): void => {
      if (!isLevelEnabled(log, level)) return;
      const obj = typeof a === 'string' ? undefined : a instanceof Error ? { err: a } : a;
      const msg = typeof a === 'string' ? a : (b ?? (a instanceof Error ? a.message : undefined));
      post({
        partita: 'log',
        level,
        msg: msg === undefined ? undefined : String(msg),
        fields: { ...bindings, ...obj },
      });
    };
  return {
    level: log.level,
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: (more) => workerLogger(log, { ...bindings, ...more }),
  };
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
