/**
 * The Piscina worker entry: runs one `WireTask` (a batch of messages of one
 * handler) and returns compact outcomes. Progress goes to the task's shared
 * buffer before and after every message, so the pool knows which messages
 * finished when this thread hangs (timeout) or dies (`process.exit`).
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { performance } from 'node:perf_hooks';
import {
  decodeWith,
  DecodeError,
  systemClock,
  TimeoutError,
  type Codec,
  type Headers,
  type SerializedError,
  type TimerHandle,
} from '@partita/core';
import { packPublished, type StagedRecord } from '../wire/wire-published.js';
import { serializeError } from '../wire/serialize-error.js';
import {
  PROGRESS_SEQ,
  PROGRESS_THREAD,
  Status,
  progressViews,
  wireMessage,
  wireNumbers,
  messageValue,
  isTombstone,
  type WireEvent,
  type WireResult,
  type WireTask,
} from '../wire/wire-task.js';
import { codecRegistry } from './codec-registry.js';
import { WorkerContext, workerLogger, type WorkerHandler } from './worker-context.js';

const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const codecFor = codecRegistry((workerData as { msgpack?: never } | undefined)?.msgpack);
const modules = new Map<string, Promise<WorkerHandler>>();
const setupUrl = (workerData as { setup?: string } | undefined)?.setup;
let setupWrapper: Promise<((handler: WorkerHandler) => WorkerHandler) | undefined> | undefined;

/** The pool's `setup` module, imported once per thread; its default export, when a function, wraps every handler. */
function loadSetup(): Promise<((handler: WorkerHandler) => WorkerHandler) | undefined> {
  if (setupUrl === undefined) return Promise.resolve(undefined);
  if (!setupWrapper) {
    setupWrapper = import(setupUrl).then((mod: { default?: unknown }) =>
      typeof mod.default === 'function' ? (mod.default as (handler: WorkerHandler) => WorkerHandler) : undefined,
    );
    setupWrapper.catch(() => (setupWrapper = undefined));
  }
  return setupWrapper;
}
const codecModules = new Map<string, Promise<Codec>>();

/** The app's codec from its module (`Codec.workerModule`): the default export, a codec object. */
function loadCodec(url: string): Promise<Codec> {
  let p = codecModules.get(url);
  if (!p) {
    p = import(url).then((mod: { default?: unknown }) => {
      const c = mod.default as Partial<Codec> | undefined;
      if (
        c === null ||
        typeof c !== 'object' ||
        typeof c.contentType !== 'string' ||
        typeof c.encode !== 'function' ||
        typeof c.decode !== 'function'
      ) {
        throw new TypeError(`codec module ${url} has no default export codec { contentType, encode, decode }`);
      }
      return c as Codec;
    });
    p.catch(() => codecModules.delete(url));
    codecModules.set(url, p);
  }
  return p;
}

/** The codec for a task: a built-in one by content type, else the app's codec module when it names that content type. */
async function taskCodec(wire: WireTask): Promise<Codec | undefined> {
  const known = codecFor(wire.contentType);
  if (known !== undefined || wire.codecModule === null) return known;
  const loaded = await loadCodec(wire.codecModule);
  return codecFor(loaded.contentType) ?? loaded;
}

function loadHandler(url: string): Promise<WorkerHandler> {
  let p = modules.get(url);
  if (!p) {
    p = Promise.all([loadSetup(), import(url)]).then(([wrap, mod]: [unknown, { default?: unknown }]) => {
      const fn = mod.default;
      if (typeof fn !== 'function')
        throw new TypeError(`worker module ${url} has no default export function (msg, ctx) => result`);
      if (typeof wrap !== 'function') return fn as WorkerHandler;
      const wrapped = (wrap as (h: WorkerHandler) => unknown)(fn as WorkerHandler);
      if (typeof wrapped !== 'function')
        throw new TypeError(`setup module ${setupUrl}: its default export must return a handler function`);
      return wrapped as WorkerHandler;
    });
    // A failed load is retried on the next task rather than cached forever.
    p.catch(() => modules.delete(url));
    modules.set(url, p);
  }
  return p;
}

/** The message's own W3C trace context when it carries one, else the task's. */
function traceOf(headers: Readonly<Headers>, task: Headers | undefined): Readonly<Headers> | undefined {
  const traceparent = headers['traceparent'];
  if (traceparent === undefined) return task;
  const tracestate = headers['tracestate'];
  return tracestate === undefined ? { traceparent } : { traceparent, tracestate };
}

function timeoutError(wire: WireTask): TimeoutError {
  return new TimeoutError(`handler "${wire.handler}" exceeded timeoutMs=${wire.timeoutMs}`);
}

async function settleWithin(
  result: PromiseLike<unknown>,
  ctx: WorkerContext,
  wire: WireTask,
  remainingMs: number,
): Promise<void> {
  const settled = Promise.resolve(result);
  if (!(wire.timeoutMs > 0 && Number.isFinite(wire.timeoutMs))) {
    await settled;
    return;
  }
  settled.catch(() => undefined); // a late rejection after the timeout must not crash the thread
  let timer: TimerHandle | undefined;
  const expired = new Promise<never>((_, reject) => {
    // The system clock honours delays past 2³¹−1 ms (a plain setTimeout would fire after 1 ms).
    timer = systemClock.setTimeout(
      () => {
        const err = timeoutError(wire);
        ctx.abort(err);
        reject(err);
      },
      Math.max(0, remainingMs),
    );
  });
  try {
    await Promise.race([settled, expired]);
  } finally {
    if (timer !== undefined) systemClock.clearTimeout(timer);
  }
}

/** Runs a task; never throws for a message's failure (those are outcomes). */
export default async function runTask(wire: WireTask | { readonly ping: true }): Promise<WireResult> {
  if ('ping' in wire) return { threadId, elapsedMs: 0, failures: [], published: null };
  const { header: seq, status } = progressViews(wire.progress, wire.progressOffset, wire.count);
  const numbers = wireNumbers(wire);
  Atomics.store(seq, PROGRESS_THREAD, threadId);
  const failures: (readonly [number, SerializedError])[] = [];
  const fail = (i: number, error: SerializedError): void => {
    status[i] = error.retryable ? Status.failedRetryable : Status.failedFinal;
    failures.push([i, error]);
    // Also posted at once, so the details survive if this thread dies later in the batch.
    const event: WireEvent = { partita: 'failure', token: wire.token, index: i, error };
    parentPort?.postMessage(event);
  };

  let handle: WorkerHandler;
  let codec: Codec | undefined;
  try {
    handle = await loadHandler(wire.worker);
    codec = await taskCodec(wire);
  } catch (err) {
    const e = serializeError(err);
    const error: SerializedError = {
      ...e,
      name: 'WorkerModuleError',
      message: `cannot load worker module ${wire.worker}: ${e.name}: ${e.message}`,
      retryable: true,
    };
    for (let i = 0; i < wire.count; i++) fail(i, error);
    return { threadId, elapsedMs: 0, failures, published: null };
  }
  // Tasks received together would otherwise run back to back in one macrotask
  // and post their results together at the end; a turn of its own for each
  // (taken after the module load, which may itself span turns) lets every
  // result leave as soon as its task is done, so the pool refills this thread
  // while it runs the next one.
  await yieldTurn();
  const started = performance.now();
  const staged: { index: number; record: StagedRecord }[] = [];
  const logger = workerLogger(wire.log, { ...wire.log.bindings, threadId });
  const timed = wire.timeoutMs > 0 && Number.isFinite(wire.timeoutMs);

  for (let i = 0; i < wire.count; i++) {
    Atomics.store(seq, PROGRESS_SEQ, 2 * i + 1);
    try {
      if (codec === undefined) {
        throw new DecodeError(
          `no codec for content type "${wire.contentType}" in the worker pool (built in: application/json, application/vnd.msgpack; others through Codec.workerModule)`,
        );
      }
      const msg = wireMessage(
        wire,
        numbers,
        i,
        isTombstone(wire, i) ? null : decodeWith(codec, messageValue(wire, numbers, i)),
      );
      const ctx = new WorkerContext(msg, wire.handler, logger, traceOf(msg.headers, wire.trace), threadId, codec);
      try {
        const t0 = performance.now();
        const result = handle(msg, ctx);
        if (
          result !== null &&
          typeof result === 'object' &&
          typeof (result as PromiseLike<unknown>).then === 'function'
        ) {
          await settleWithin(result as PromiseLike<unknown>, ctx, wire, wire.timeoutMs - (performance.now() - t0));
        } else if (timed && performance.now() - t0 > wire.timeoutMs) {
          throw timeoutError(wire);
        }
      } finally {
        ctx.end();
      }
      // Only a successful attempt's records leave the thread.
      for (const record of ctx.staged) staged.push({ index: i, record });
      status[i] = ctx.staged.length > 0 ? Status.okPublished : Status.ok;
    } catch (err) {
      fail(i, serializeError(err));
    }
    Atomics.store(seq, PROGRESS_SEQ, 2 * i + 2);
  }
  const elapsedMs = performance.now() - started;
  if (staged.length === 0) return { threadId, elapsedMs, failures, published: null };
  const { published, transfer } = packPublished(staged);
  const result: WireResult = { threadId, elapsedMs, failures, published };
  return transfer.length === 0
    ? result
    : (move({ [transferableSymbol]: transfer, [valueSymbol]: result }) as unknown as WireResult);
}
