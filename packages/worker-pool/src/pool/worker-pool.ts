import { Piscina } from 'piscina';
import {
  ClosedError,
  ConfigError,
  type Executor,
  type ExecutorOutcome,
  type ExecutorTask,
  type SerializedError,
  type TimerHandle,
} from '@partita/core';
import { ProgressSlab } from '../wire/progress-slab.js';
import { PROGRESS_THREAD, packTask, type WireEvent, type WireResult } from '../wire/wire-task.js';
import { BatchSizer } from './batch-sizer.js';
import { notRunError, OK, outcomesAfterThreadLoss } from './thread-loss.js';
import { unpackPublished } from '../wire/wire-published.js';
import { TaskWatchdog, type WatchedTask } from './task-watchdog.js';
import { workerEntryPath } from './worker-entry-path.js';
import { workerExecArgv } from './worker-exec-argv.js';
import { resolvePoolOptions, type WorkerPoolOptions } from './worker-pool-options.js';

/** What `stats()` reports (also shown by `app.inspect().executor`). */
export type WorkerPoolStats = {
  /** Configured number of threads. */
  readonly threadCount: number;
  readonly state: 'created' | 'running' | 'closing' | 'closed';
  /**
   * Share of thread time spent running handlers since the pool started, 0..1:
   * handler time reported by the threads over `threadCount × uptime`.
   */
  readonly utilization: number;
  /** Tasks waiting in Piscina's queue for a thread. */
  readonly queueDepth: number;
  /** Tasks submitted and not yet resolved (running + queued). */
  readonly inFlightTasks: number;
  /** `inFlightTasks` at which `saturated` turns true. */
  readonly capacity: number;
  readonly saturated: boolean;
  readonly completedTasks: number;
  readonly succeededMessages: number;
  readonly failedMessages: number;
  /** Threads replaced after a crash, exit or timeout. */
  readonly threadRestarts: number;
  readonly timeouts: number;
  /** Tasks that lost their thread (crash, exit, timeout). */
  readonly lostTasks: number;
  /** Work per thread that ever ran a task (replaced threads included), by thread id. */
  readonly threads: readonly {
    readonly threadId: number;
    readonly tasks: number;
    readonly messages: number;
    readonly alive: boolean;
  }[];
  /** Adaptive batch size and measured time per message, per handler. */
  readonly handlers: Readonly<Record<string, { readonly batchSize: number; readonly msPerMessage: number }>>;
};

/** The Piscina executor for worker handlers (core's `Executor`). */
export interface WorkerPool extends Executor {
  stats(): WorkerPoolStats;
}

interface InFlight extends WatchedTask {
  readonly handler: string;
  readonly status: Uint8Array;
  readonly failures: Map<number, SerializedError>;
}

/**
 * Create the executor that runs worker handlers on a fixed set of Piscina
 * threads (see the package README for the model). `run` resolves with one
 * outcome per message and rejects only with `ClosedError` (after `close`, or
 * for tasks still running when the drain deadline passed).
 */
export function workerPool(options: WorkerPoolOptions = {}): WorkerPool {
  const o = resolvePoolOptions(options);
  const capacity = o.threads * o.concurrentTasksPerWorker + o.maxQueue;
  const sizer = new BatchSizer(o.minBatchSize, o.maxBatchSize, o.targetTaskMs);
  const slab = new ProgressSlab(o.maxBatchSize);
  const listeners = new Set<() => void>();
  const running = new Set<Promise<unknown>>();
  const inflight = new Map<number, InFlight>();
  const perThread = new Map<number, { tasks: number; messages: number }>();
  const counts = { completedTasks: 0, succeeded: 0, failed: 0, restarts: 0, timeouts: 0, lost: 0, handlerMs: 0 };
  let startedAt = 0;
  let pool: Piscina | undefined;
  let state: WorkerPoolStats['state'] = 'created';
  let destroyed = false;
  let inFlightTasks = 0;
  let nextToken = 0;
  let closing: Promise<void> | undefined;

  const watchdog = new TaskWatchdog(o.clock, o.timeoutGraceMs, (task, index, threadId) => {
    counts.timeouts++;
    const thread = pool?.threads.find((w) => w.threadId === threadId);
    o.logs.logger.warn(
      { handler: (task as InFlight).handler, index, threadId, timeoutMs: task.timeoutMs },
      'worker handler timed out; terminating its thread',
    );
    void thread?.terminate();
  });

  const onEvent = (event: WireEvent): void => {
    if (event === null || typeof event !== 'object' || !('partita' in event)) return;
    if (event.partita === 'failure') inflight.get(event.token)?.failures.set(event.index, event.error);
    else if (event.partita === 'log') {
      // A worker handler's line belongs to its lane: the app's logger, without the pool's `component`.
      const log = o.logs.base;
      const level = typeof log[event.level] === 'function' ? event.level : 'info';
      if (event.msg === undefined) log[level](event.fields);
      else log[level](event.fields, event.msg);
    }
  };

  let starting: Promise<void> | undefined;
  function start(): Promise<void> {
    if (state === 'closing' || state === 'closed') return Promise.reject(new ClosedError('worker pool is closed'));
    return (starting ??= boot());
  }

  async function boot(): Promise<void> {
    const p = new Piscina({
      filename: workerEntryPath(),
      minThreads: o.threads,
      maxThreads: o.threads,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: o.concurrentTasksPerWorker,
      // Capacity is enforced here (`saturated`), so Piscina never rejects a task for a full queue.
      maxQueue: Infinity,
      atomics: o.atomics,
      execArgv: workerExecArgv(),
      workerData: { msgpack: o.msgpack, setup: o.setup },
      // Piscina's own timing histograms cost every task; the pool measures handler time itself.
      recordTiming: false,
    });
    p.on('message', onEvent);
    p.on('error', (err: unknown) => o.logs.logger.error({ err }, 'worker pool error'));
    p.on('workerDestroy', (worker: { threadId?: number } | undefined) => {
      if (destroyed || state !== 'running') return;
      counts.restarts++;
      o.logs.logger.warn({ threadId: worker?.threadId }, 'worker thread exited; the pool starts a new one');
    });
    try {
      // Proves that a thread boots and loads the worker entry (and its imports) before any message is sent.
      await p.run({ ping: true });
    } catch (err) {
      destroyed = true;
      await p.destroy();
      starting = undefined;
      destroyed = false;
      throw new ConfigError(
        `worker-pool: a worker thread failed to start: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    pool = p;
    startedAt = o.clock.now();
    if (state === 'created') state = 'running';
  }

  async function execute(task: ExecutorTask, retryOfLoss: boolean): Promise<ExecutorOutcome[]> {
    const n = task.messages.length;
    const token = ++nextToken;
    const slot = slab.acquire(n);
    const { wire, transfer } = packTask(task, token, slot, o.logs.base.level);
    const rec: InFlight = {
      handler: task.handler,
      timeoutMs: task.timeoutMs,
      progress: slot.header,
      status: slot.status,
      failures: new Map(),
      lastSeq: 0,
      lastChangeAt: o.clock.now(),
      timedOutIndex: -1,
    };
    inflight.set(token, rec);
    watchdog.add(rec);
    try {
      const result = (await pool!.run(
        wire,
        transfer.length > 0 ? { transferList: transfer as ArrayBuffer[] } : undefined,
      )) as WireResult;
      counts.completedTasks++;
      counts.handlerMs += result.elapsedMs;
      sizer.observe(task.handler, result.elapsedMs, n);
      const t = perThread.get(result.threadId) ?? { tasks: 0, messages: 0 };
      t.tasks++;
      t.messages += n;
      perThread.set(result.threadId, t);
      const outcomes = new Array<ExecutorOutcome>(n).fill(OK);
      if (result.published !== null) {
        unpackPublished(result.published, n).forEach((published, i) => {
          if (published !== undefined) outcomes[i] = { ok: true, published };
        });
      }
      for (const [i, error] of result.failures) outcomes[i] = { ok: false, error };
      return outcomes;
    } catch (err) {
      if (destroyed)
        throw new ClosedError('worker pool closed before the task finished (drain timeout)', { cause: err });
      counts.lost++;
      const { outcomes, notStarted } = outcomesAfterThreadLoss({ ...rec, timedOutIndex: rec.timedOutIndex }, err);
      // A timeout was logged when the watchdog terminated the thread; any other loss is a crash.
      if (rec.timedOutIndex < 0)
        o.logs.logger.error(
          {
            handler: task.handler,
            threadId: Atomics.load(rec.progress, PROGRESS_THREAD),
            rerun: notStarted.length,
            err,
          },
          'worker thread died while running a task; the message it ran failed, those not started run again',
        );
      if (notStarted.length > 0) {
        // Messages that never started are re-run once on a fresh thread; if that thread dies too, they fail (retryable).
        const rerun = retryOfLoss
          ? notStarted.map((): ExecutorOutcome => ({ ok: false, error: notRunError(err) }))
          : await execute({ ...task, messages: notStarted.map((i) => task.messages[i]!) }, true);
        notStarted.forEach((i, k) => {
          outcomes[i] = rerun[k];
        });
      }
      return outcomes as ExecutorOutcome[];
    } finally {
      inflight.delete(token);
      watchdog.delete(rec);
      // The result arrived or the thread is gone: nothing writes to the slot any more.
      slab.release(slot);
    }
  }

  function utilization(): number {
    const capacityMs = o.threads * (o.clock.now() - startedAt);
    return pool === undefined || capacityMs <= 0 ? 0 : Math.min(1, counts.handlerMs / capacityMs);
  }

  const executor: WorkerPool = {
    attach: (context) => o.logs.attach(context),
    start,
    get saturated() {
      return inFlightTasks >= capacity;
    },
    onCapacity(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    batchSize: (handler) => sizer.size(handler),
    async run(task) {
      if (state === 'closing' || state === 'closed') throw new ClosedError('worker pool is closed');
      if (!pool) await start();
      if (state !== 'running') throw new ClosedError('worker pool is closed');
      if (task.messages.length === 0) return [];
      inFlightTasks++;
      const p = execute(task, false);
      running.add(p);
      try {
        const outcomes = await p;
        for (const out of outcomes) {
          if (out.ok) counts.succeeded++;
          else counts.failed++;
        }
        return outcomes;
      } finally {
        running.delete(p);
        const wasSaturated = inFlightTasks >= capacity;
        inFlightTasks--;
        if (wasSaturated && inFlightTasks < capacity) {
          for (const l of [...listeners]) {
            try {
              l();
            } catch (err) {
              o.logs.logger.error({ err }, 'onCapacity listener threw');
            }
          }
        }
      }
    },
    stats() {
      const alive = new Set(destroyed ? [] : (pool?.threads.map((w) => w.threadId) ?? []));
      return {
        threadCount: o.threads,
        state,
        utilization: utilization(),
        queueDepth: pool?.queueSize ?? 0,
        inFlightTasks,
        capacity,
        saturated: inFlightTasks >= capacity,
        completedTasks: counts.completedTasks,
        succeededMessages: counts.succeeded,
        failedMessages: counts.failed,
        threadRestarts: counts.restarts,
        timeouts: counts.timeouts,
        lostTasks: counts.lost,
        threads: [...perThread].map(([threadId, v]) => ({
          threadId,
          tasks: v.tasks,
          messages: v.messages,
          alive: alive.has(threadId),
        })),
        handlers: sizer.snapshot(),
      };
    },
    close(drainTimeoutMs) {
      if (closing) return closing;
      if (!(drainTimeoutMs >= 0))
        throw new RangeError(`close(drainTimeoutMs): expected a number ≥ 0, got ${String(drainTimeoutMs)}`);
      state = 'closing';
      closing = (async () => {
        await starting?.catch(() => undefined);
        if (pool) {
          let timer: TimerHandle | undefined;
          const deadline = new Promise<void>((resolve) => {
            timer = o.clock.setTimeout(resolve, drainTimeoutMs);
          });
          await Promise.race([Promise.allSettled([...running]), deadline]);
          if (timer !== undefined) o.clock.clearTimeout(timer);
          destroyed = true;
          watchdog.stop();
          await pool.destroy();
        }
        state = 'closed';
      })();
      return closing;
    },
  };
  return executor;
}
