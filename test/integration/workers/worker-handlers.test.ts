import { afterEach, describe, expect, it } from 'vitest';
import {
  createConsoleLogger,
  createApp,
  defineHandler,
  type App,
  type AppOptions,
  type HandlerOptions,
  type Logger,
  type Transport,
} from '@partita/core';
import { createMemoryBroker, memoryTransport, type MemoryBroker } from '@partita/memory';
import { msgpackCodec } from '@partita/codec-msgpack';
import { workerPool, type WorkerPool, type WorkerPoolOptions } from '@partita/worker-pool';
import { recordingLogger, waitFor, type RecordingLogger } from '@partita/testing';

// Worker handlers end to end: createApp + memory transport + worker pool.
// The worker entry runs from dist: build first (npx tsc -b packages/worker-pool).
const WORKER = new URL('./fixtures/orders.worker.mjs', import.meta.url);
const silent: Logger = createConsoleLogger({ level: 'silent' });

interface Handled {
  key?: string;
  seq?: number;
  op?: string;
  attempt: number;
  startedAt: number;
  threadId: number;
  offset: string;
  partition: number;
}
/** A logger whose `handled` lists the fields of the worker's "handled" lines. */
function handledLog(): RecordingLogger & { readonly handled: Handled[] } {
  const log = recordingLogger({ level: 'info' });
  return Object.defineProperty(log, 'handled', {
    get: () => log.records.filter((r) => r.msg === 'handled').map((r) => r.fields as unknown as Handled),
  }) as RecordingLogger & { readonly handled: Handled[] };
}

const until = (cond: () => boolean, what: string, ms = 90_000): Promise<boolean> =>
  waitFor(cond, { description: what, timeoutMs: ms, intervalMs: 10 });

const suffix = (): string => Math.random().toString(36).slice(2, 8);
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
});

function setup(opts: {
  pool?: WorkerPoolOptions;
  handler?: Partial<HandlerOptions>;
  app?: Partial<AppOptions>;
  partitions?: number;
  maxBatch?: number;
}): { app: App; pool: WorkerPool; broker: MemoryBroker; topic: string; log: ReturnType<typeof handledLog> } {
  const log = handledLog();
  const broker = createMemoryBroker({ defaultPartitions: opts.partitions ?? 2 });
  const pool = workerPool({ threads: 2, logger: log, ...opts.pool });
  const topic = `orders-${suffix()}`;
  const app = createApp({
    transport: memoryTransport(broker, opts.maxBatch ? { maxBatch: opts.maxBatch } : {}),
    executor: pool,
    logger: silent,
    ...opts.app,
    handlers: [
      defineHandler({
        name: `archive-${suffix()}`,
        topic,
        worker: WORKER,
        retry: { maxAttempts: 3, backoff: { initialMs: 10, maxMs: 50 } },
        ...opts.handler,
      }),
    ],
  });
  cleanup.push(async () => {
    await app.stop({ drainTimeoutMs: 1_000 });
    await broker.close();
  });
  return { app, pool, broker, topic, log };
}

describe('worker handlers through createApp', () => {
  it('keeps order per key across threads and spreads keys over threads', async () => {
    const { app, pool, topic, log } = setup({ partitions: 2, handler: { maxInFlight: 64 } });
    await app.start();
    const keys = Array.from({ length: 16 }, (_, i) => `k-${i}`);
    const perKey = 25;
    const batch = [];
    for (let seq = 0; seq < perKey; seq++)
      for (const key of keys) batch.push({ topic, key, value: { op: 'busy', ms: 0.2, seq } });
    await app.publish(batch);
    await until(() => app.inspect().metrics.succeeded === batch.length, 'all messages handled');
    await until(() => log.handled.length === batch.length, 'all handled logs');
    for (const key of keys) {
      const seen = log.handled
        .filter((h) => h.key === key)
        .sort((a, b) => a.startedAt - b.startedAt)
        .map((h) => h.seq);
      expect(seen).toEqual(Array.from({ length: perKey }, (_, i) => i));
    }
    const threads = pool.stats().threads.filter((t) => t.messages > 0);
    expect(threads.length).toBe(2);
    expect(threads.reduce((a, t) => a + t.messages, 0)).toBe(batch.length);
    expect(app.inspect().executor).toMatchObject({ threadCount: 2, completedTasks: expect.any(Number) });
  });

  it('retries worker failures and dead-letters exhausted and non-retryable ones', async () => {
    const { app, topic } = setup({});
    const dead: { reason: string; name: string; key?: string }[] = [];
    app.on('message.dead-lettered', (e) =>
      dead.push({ reason: e.reason, name: (e.error as Error).name, key: e.message.key }),
    );
    await app.start();
    await app.publish([
      { topic, key: 'flaky', value: { op: 'flaky' } },
      { topic, key: 'always', value: { op: 'always' } },
      { topic, key: 'final', value: { op: 'nonretryable' } },
      { topic, key: 'fine', value: { op: 'ok' } },
    ]);
    await until(() => dead.length === 2 && app.inspect().metrics.succeeded === 2, 'two dead letters and two successes');
    expect(dead.find((d) => d.key === 'always')).toMatchObject({
      reason: 'max-retries',
      name: 'MaxRetriesExceededError',
    });
    expect(dead.find((d) => d.key === 'final')).toMatchObject({ reason: 'non-retryable', name: 'NonRetryableError' });
    const m = app.inspect().metrics;
    expect(m.retried).toBe(4); // flaky: 2, always: 2
    expect(m.deadLetteredByReason).toMatchObject({ 'max-retries': 1, 'non-retryable': 1 });
  });

  it('recovers from a thread crash (process.exit in a handler): the message is retried, the thread replaced', async () => {
    const { app, pool, topic } = setup({ pool: { threads: 1 } });
    await app.start();
    await app.publish([
      { topic, key: 'a', value: { op: 'ok' } },
      { topic, key: 'crash', value: { op: 'exit-once' } },
      { topic, key: 'b', value: { op: 'ok' } },
    ]);
    await until(() => app.inspect().metrics.succeeded === 3, 'all three handled');
    expect(app.inspect().metrics.retried).toBeGreaterThanOrEqual(1);
    expect(app.inspect().metrics.deadLettered).toBe(0);
    expect(pool.stats().threadRestarts).toBeGreaterThanOrEqual(1);
    await app.publish({ topic, key: 'later', value: { op: 'ok' } });
    await until(() => app.inspect().metrics.succeeded === 4, 'a later message');
  });

  it('times out a handler stuck in an infinite loop, replaces the thread and retries or dead-letters', async () => {
    const { app, pool, topic } = setup({
      pool: { threads: 1, timeoutGraceMs: 100 },
      handler: { timeoutMs: 400, retry: { maxAttempts: 2, backoff: { initialMs: 10 } } },
    });
    const dead: { reason: string; cause?: string }[] = [];
    app.on('message.dead-lettered', (e) =>
      dead.push({ reason: e.reason, cause: ((e.error as Error).cause as Error | undefined)?.name }),
    );
    await app.start();
    await app.publish([
      { topic, key: 'once', value: { op: 'loop-once' } },
      { topic, key: 'forever', value: { op: 'loop' } },
    ]);
    await until(() => dead.length === 1 && app.inspect().metrics.succeeded === 1, 'one success, one dead letter');
    expect(dead[0]).toEqual({ reason: 'timeout', cause: 'TimeoutError' });
    expect(pool.stats().timeouts).toBeGreaterThanOrEqual(3);
    await until(() => pool.stats().threadRestarts >= 3, 'threads replaced');
  });

  it('dead-letters malformed payloads with reason decode (decoded in the worker)', async () => {
    const structures = [['op', 'seq']];
    const { app, broker, topic } = setup({
      app: { codec: msgpackCodec({ structures }) },
      pool: { msgpack: { structures } },
    });
    const producer = createApp({ transport: memoryTransport(broker), logger: silent }); // JSON: not msgpack
    cleanup.push(() => producer.stop({ drainTimeoutMs: 100 }));
    const dead: string[] = [];
    app.on('message.dead-lettered', (e) => dead.push(e.reason));
    await app.start();
    await producer.start();
    await app.publish({ topic, key: 'good', value: { op: 'ok', seq: 1 } });
    await producer.publish({ topic, key: 'bad', value: { op: 'ok', seq: 2, pad: 'x'.repeat(40) } });
    await until(
      () => dead.length === 1 && app.inspect().metrics.succeeded === 1,
      'one decode dead letter, one success',
    );
    expect(dead).toEqual(['decode']);
    expect(app.inspect().metrics.deadLetteredByReason).toMatchObject({ decode: 1 });
    expect(app.inspect().metrics.retried).toBe(0);
  });

  it('backpressure: a slow pool pauses the lane and the records held by the lane stay bounded (counted at delivery)', async () => {
    const maxInFlight = 16;
    const maxBatch = 8;
    const log = handledLog();
    const broker = createMemoryBroker({ defaultPartitions: 1 });
    const pool = workerPool({
      threads: 1,
      concurrentTasksPerWorker: 1,
      maxQueue: 0,
      minBatchSize: 4,
      maxBatchSize: 4,
      logger: log,
    });
    const topic = `orders-${suffix()}`;
    // Count at the source: every record the transport hands the lane, every message the lane settled.
    let delivered = 0;
    let settled = 0;
    let maxHeld = 0;
    const inner = memoryTransport(broker, { maxBatch });
    // The transport is a class: delegate member by member (a spread would drop its methods).
    const transport: Transport = {
      name: inner.name,
      capabilities: inner.capabilities,
      connect: () => inner.connect(),
      publish: (records) => inner.publish(records),
      health: () => inner.health(),
      close: () => inner.close(),
      subscribe: (spec, sink) =>
        inner.subscribe(spec, {
          revoked: (id) => sink.revoked(id),
          assigned(lane) {
            const s = sink.assigned(lane);
            return {
              deliver(records) {
                delivered += records.length;
                maxHeld = Math.max(maxHeld, delivered - settled);
                s.deliver(records);
              },
            };
          },
        }),
    };
    const app = createApp({
      transport,
      executor: pool,
      logger: silent,
      handlers: [defineHandler({ name: `archive-${suffix()}`, topic, worker: WORKER, maxInFlight })],
    });
    cleanup.push(async () => {
      await app.stop({ drainTimeoutMs: 1_000 });
      await broker.close();
    });
    const paused: string[] = [];
    app.on('lane.paused', (e) => paused.push(e.reason));
    app.on('message.succeeded', () => void settled++);
    await app.start();
    const total = 400;
    await app.publish(
      Array.from({ length: total }, (_, i) => ({ topic, key: `k-${i}`, value: { op: 'block', ms: 2, seq: i } })),
    );
    await until(() => app.inspect().metrics.succeeded === total, 'all messages handled');
    expect(settled).toBe(total);
    expect(delivered).toBe(total);
    // The full pool paused the lane (the executor is the bottleneck here, not the buffer).
    expect(paused).toContain('executor queue full');
    // The lane takes a delivery only while the executor has room (else it is paused), and
    // then dispatches what it holds: it never holds more than its in-flight limit plus one
    // delivery, far below the 400 the broker had for it.
    expect(maxHeld).toBeLessThanOrEqual(maxInFlight + maxBatch);
  });

  it('drains on stop: in-flight worker messages finish and are committed; the pool closes', async () => {
    const { app, pool, topic, log } = setup({ partitions: 1, pool: { threads: 2 } });
    await app.start();
    await app.publish(
      Array.from({ length: 6 }, (_, i) => ({ topic, key: `k-${i}`, value: { op: 'block', ms: 300, seq: i } })),
    );
    await until(() => pool.stats().inFlightTasks > 0, 'tasks in flight');
    await app.stop({ drainTimeoutMs: 30_000 });
    const m = app.inspect().metrics;
    expect(m.succeeded).toBeGreaterThan(0);
    expect(m.succeeded).toBe(log.handled.length);
    const lane = app.inspect().lanes[0]!;
    expect(Number(lane.committed)).toBe(m.succeeded);
    expect(pool.stats().state).toBe('closed');
  });

  it('stop past the drain deadline terminates the stuck task without committing it; the message is redelivered', async () => {
    const broker = createMemoryBroker({ defaultPartitions: 1 });
    cleanup.push(() => broker.close());
    const topic = `orders-${suffix()}`;
    const name = `archive-${suffix()}`;
    const handler = defineHandler({ name, topic, worker: WORKER, timeoutMs: 600_000 });
    const pool1 = workerPool({ threads: 1, logger: silent });
    const app1 = createApp({
      transport: memoryTransport(broker),
      executor: pool1,
      logger: silent,
      handlers: [handler],
    });
    await app1.start();
    await app1.publish({ topic, key: 'k', value: { op: 'block', ms: 2_000 } });
    await until(() => pool1.stats().inFlightTasks === 1, 'task in flight');
    await app1.stop({ drainTimeoutMs: 200 });
    expect(pool1.stats().state).toBe('closed');
    expect(app1.inspect().metrics.succeeded).toBe(0);
    expect(app1.inspect().lanes[0]?.committed ?? '0').toBe('0');

    const log = handledLog();
    const pool2 = workerPool({ threads: 1, logger: log });
    const app2 = createApp({
      transport: memoryTransport(broker),
      executor: pool2,
      logger: silent,
      handlers: [handler],
    });
    cleanup.push(() => app2.stop({ drainTimeoutMs: 1_000 }));
    await app2.start();
    await until(() => app2.inspect().metrics.succeeded === 1, 'redelivered message handled');
    expect(log.handled.map((h) => h.offset)).toEqual(['0']);
  });
});
