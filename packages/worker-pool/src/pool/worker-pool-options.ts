import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { availableParallelism } from 'node:os';
import { ComponentLogger, ConfigError, optionError, systemClock, type Clock, type Logger } from '@partita/core';
import type { MsgpackCodecOptions } from '@partita/codec-msgpack';

/** Options of {@link workerPool}. */
export interface WorkerPoolOptions {
  /**
   * Worker threads, fixed (Piscina `minThreads = maxThreads`), kept alive.
   * @defaultValue `PARTITA_WORKER_THREADS`, else available cores − 1, at least 1
   */
  readonly threads?: number;
  /**
   * Tasks a thread holds at once: the one running and the next, ready when it
   * finishes (outcomes leave per task). More interleave only when handlers
   * await; for CPU-bound handlers they only split batches smaller.
   * @defaultValue 2
   */
  readonly concurrentTasksPerWorker?: number;
  /**
   * Tasks waiting beyond the running ones before `saturated` turns true. Kept
   * small on purpose: while the pool is saturated, lanes gather ready messages
   * into full batches instead of shipping many small ones.
   * @defaultValue threads
   */
  readonly maxQueue?: number;
  /** Smallest batch `batchSize()` suggests (slow handlers). @defaultValue 10 */
  readonly minBatchSize?: number;
  /** Largest batch `batchSize()` suggests (fast handlers). @defaultValue 1000 */
  readonly maxBatchSize?: number;
  /**
   * Handler time per task that `batchSize()` aims at. Each task costs the main
   * thread a message round trip; at 50 ms a 1 ms handler runs in tasks of 50.
   * @defaultValue 50
   */
  readonly targetTaskMs?: number;
  /**
   * Extra time past a message's `timeoutMs` before its thread is terminated
   * (an async handler is failed at `timeoutMs` in the worker; a handler that
   * blocks the thread is only stopped by terminating it).
   * @defaultValue 250
   */
  readonly timeoutGraceMs?: number;
  /** Options for decoding `application/vnd.msgpack` in workers: pass the app codec's options (same `structures`). @defaultValue {} */
  readonly msgpack?: MsgpackCodecOptions;
  /**
   * How an idle thread waits for work: `async` keeps its event loop running
   * (timers and sockets of worker modules keep working between tasks);
   * `sync` blocks it in `Atomics.wait` (lowest hop latency).
   * @defaultValue 'async'
   */
  readonly atomics?: 'async' | 'sync';
  /**
   * A module (URL or absolute path) every thread imports once before its
   * first handler: register a tracer provider, an APM agent, globals. When
   * its default export is a function it wraps every worker handler:
   * `(handler) => (msg, ctx) => ...` (for example `workerTracing()` of
   * `@partita/opentelemetry`, which makes the runtime's process span the
   * handler's active parent).
   */
  readonly setup?: URL | string;
  /**
   * Receives the pool's lines (thread crashes and replacements, timeouts)
   * and the worker handlers' (`ctx.logger`).
   * @defaultValue the logger of the app it runs for (`attach`), else `defaultLogger()`
   */
  readonly logger?: Logger;
  /** Drives the timeout watchdog and the drain deadline. @defaultValue systemClock */
  readonly clock?: Clock;
}

export interface ResolvedPoolOptions {
  readonly threads: number;
  readonly concurrentTasksPerWorker: number;
  readonly maxQueue: number;
  readonly minBatchSize: number;
  readonly maxBatchSize: number;
  readonly targetTaskMs: number;
  readonly timeoutGraceMs: number;
  readonly msgpack: MsgpackCodecOptions | undefined;
  readonly atomics: 'async' | 'sync';
  /** Absolute file URL string of the setup module. */
  readonly setup: string | undefined;
  readonly logs: ComponentLogger;
  readonly clock: Clock;
}

function positiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw optionError('workerPool', name, 'a positive integer', value);
  }
  return value;
}

function nonNegative(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw optionError('workerPool', name, 'a finite number ≥ 0', value);
  }
  return value;
}

function defaultThreads(env: NodeJS.ProcessEnv): number {
  const raw = env['PARTITA_WORKER_THREADS'];
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new ConfigError(
        `PARTITA_WORKER_THREADS="${raw}" is not valid: expected a positive integer number of worker threads`,
      );
    }
    return n;
  }
  return Math.max(1, availableParallelism() - 1);
}

function setupUrl(setup: unknown): string | undefined {
  if (setup === undefined) return undefined;
  if (setup instanceof URL) return setup.href;
  if (typeof setup === 'string' && setup.startsWith('file:')) return setup;
  if (typeof setup === 'string' && isAbsolute(setup)) return pathToFileURL(setup).href;
  throw optionError('workerPool', 'setup', "a URL (new URL('./setup.js', import.meta.url)) or an absolute path", setup);
}

/** Validate options at the boundary and fill in defaults. */
export function resolvePoolOptions(
  options: WorkerPoolOptions,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedPoolOptions {
  if (options === null || typeof options !== 'object')
    throw new ConfigError('workerPool(options): options must be an object');
  const threads = options.threads === undefined ? defaultThreads(env) : positiveInt('threads', options.threads);
  const concurrentTasksPerWorker = positiveInt('concurrentTasksPerWorker', options.concurrentTasksPerWorker ?? 2);
  const maxQueue =
    options.maxQueue === undefined
      ? threads
      : Number.isSafeInteger(options.maxQueue) && options.maxQueue >= 0
        ? options.maxQueue
        : (() => {
            throw new ConfigError(
              `workerPool: option "maxQueue" must be an integer ≥ 0, got ${String(options.maxQueue)}`,
            );
          })();
  const minBatchSize = positiveInt('minBatchSize', options.minBatchSize ?? 10);
  const maxBatchSize = positiveInt('maxBatchSize', options.maxBatchSize ?? 1000);
  if (maxBatchSize < minBatchSize) {
    throw new ConfigError(
      `workerPool: option "maxBatchSize" (${maxBatchSize}) must be ≥ "minBatchSize" (${minBatchSize})`,
    );
  }
  const targetTaskMs = nonNegative('targetTaskMs', options.targetTaskMs ?? 50);
  if (targetTaskMs === 0) throw new ConfigError('workerPool: option "targetTaskMs" must be > 0');
  const timeoutGraceMs = nonNegative('timeoutGraceMs', options.timeoutGraceMs ?? 250);
  const atomics = options.atomics ?? 'async';
  if (atomics !== 'async' && atomics !== 'sync')
    throw new ConfigError(`workerPool: option "atomics" must be 'async' or 'sync', got ${String(atomics)}`);
  if (options.msgpack !== undefined && (options.msgpack === null || typeof options.msgpack !== 'object')) {
    throw new ConfigError('workerPool: option "msgpack" must be msgpack codec options (an object)');
  }
  return {
    threads,
    concurrentTasksPerWorker,
    maxQueue,
    minBatchSize,
    maxBatchSize,
    targetTaskMs,
    timeoutGraceMs,
    atomics,
    msgpack: options.msgpack,
    setup: setupUrl(options.setup),
    logs: new ComponentLogger('workerPool', 'worker-pool', options.logger),
    clock: options.clock ?? systemClock,
  };
}
