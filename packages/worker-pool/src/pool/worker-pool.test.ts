import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ClosedError,
  ConfigError,
  createConsoleLogger,
  jsonCodec,
  type ExecutorMessage,
  type ExecutorOutcome,
  type ExecutorTask,
  type Logger,
} from '@partita/core';
import { msgpackCodec } from '@partita/codec-msgpack';
import { workerPool, type WorkerPool } from '../index.js';

const FIXTURE = new URL('../../test-fixtures/behave.mjs', import.meta.url).href;

interface LogRecord {
  level: string;
  msg: string;
  fields: Record<string, unknown> | undefined;
}
/** The default logger, its lines parsed into `records`. */
function captureLogger(): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const write = (line: string): void => {
    const { level, msg, time: _time, ...fields } = JSON.parse(line) as LogRecord & { time: string };
    records.push({ level, msg, fields });
  };
  return Object.assign(createConsoleLogger({ level: 'trace', destination: { write } }), { records });
}

let offset = 0;
function message(value: unknown, over: Partial<ExecutorMessage> = {}): ExecutorMessage {
  const off = String(offset++);
  return {
    id: `t/0/${off}`,
    topic: 't',
    key: undefined,
    value: jsonCodec.encode(value),
    headers: {},
    partition: 0,
    offset: off,
    timestamp: 1_700_000_000_000,
    attempt: 1,
    ...over,
  };
}
function task(messages: ExecutorMessage[], over: Partial<ExecutorTask> = {}): ExecutorTask {
  return { handler: 'h', worker: FIXTURE, timeoutMs: 30_000, contentType: 'application/json', messages, ...over };
}
const failed = (
  o: ExecutorOutcome | undefined,
): { name: string; message: string; retryable: boolean; code?: string; stack?: string } => {
  if (!o || o.ok) throw new Error(`expected a failed outcome, got ${JSON.stringify(o)}`);
  return o.error;
};
async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const pools: WorkerPool[] = [];
function pool(...args: Parameters<typeof workerPool>): WorkerPool {
  const p = workerPool(...args);
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close(0)));
});

describe('workerPool', () => {
  it('runs a batch in a thread and returns one outcome per message, failing only the failed ones', async () => {
    const p = pool({ threads: 2, logger: captureLogger() });
    await p.start();
    const msgs = [
      message({ op: 'ok' }),
      message({ op: 'throw', n: 1 }),
      message({ op: 'nonretryable' }),
      message({ op: 'flagged' }),
      message({ op: 'string' }),
      message({ op: 'ok' }),
    ];
    const out = await p.run(task(msgs));
    expect(out).toHaveLength(6);
    expect(out[0]).toEqual({ ok: true });
    expect(out[5]).toEqual({ ok: true });
    expect(failed(out[1])).toMatchObject({ name: 'Error', message: 'boom 1', retryable: true });
    expect(failed(out[1]).stack).toContain('behave.mjs');
    expect(failed(out[2])).toMatchObject({
      name: 'NonRetryableError',
      message: 'bad input',
      retryable: false,
      code: 'ERR_NON_RETRYABLE',
    });
    expect(failed(out[3])).toMatchObject({ message: 'flagged', retryable: false, code: 'E_FLAGGED' });
    expect(failed(out[4])).toMatchObject({ message: expect.stringContaining('a string'), retryable: true });
    const s = p.stats();
    expect(s).toMatchObject({
      threadCount: 2,
      completedTasks: 1,
      succeededMessages: 2,
      failedMessages: 4,
      state: 'running',
    });
    expect(s.threads.reduce((a, t) => a + t.messages, 0)).toBe(6);
    expect(s.threads.every((t) => typeof t.threadId === 'number' && t.tasks >= 1)).toBe(true);
  });

  it("returns a task's outcomes as soon as it is done, while its thread runs the next task", async () => {
    const p = pool({ threads: 1, concurrentTasksPerWorker: 2, logger: captureLogger() });
    await p.start();
    const release = join(mkdtempSync(join(tmpdir(), 'partita-pool-')), 'release');
    const first = p.run(task([message({ op: 'ok' })]));
    const second = p.run(task([message({ op: 'await-file', path: release })]));
    // The thread holds both tasks; the second blocks it until the file exists.
    // Were results posted only when the thread goes idle, the first would wait for the second.
    await expect(first).resolves.toEqual([{ ok: true }]);
    expect(p.stats().inFlightTasks).toBe(1);
    writeFileSync(release, '');
    await expect(second).resolves.toEqual([{ ok: true }]);
  });

  it('reports utilization as handler time over thread time', async () => {
    const p = pool({ threads: 1, logger: captureLogger() });
    await p.start();
    expect(p.stats().utilization).toBe(0);
    await p.run(task([message({ op: 'block', ms: 200 })]));
    const u = p.stats().utilization;
    expect(u).toBeGreaterThan(0);
    expect(u).toBeLessThanOrEqual(1);
  });

  it('decodes in the worker and gives the handler the message metadata, ctx and trace context', async () => {
    const logger = captureLogger();
    const p = pool({ threads: 1, logger });
    const m = message(
      { op: 'report', total: 12 },
      {
        key: 'c-42',
        headers: { source: 'web' },
        partition: 3,
        offset: '77',
        id: 'custom-id',
        topic: 'orders',
        attempt: 2,
        timestamp: 123,
      },
    );
    const own = message({ op: 'report', total: 13 }, { headers: { traceparent: '00-own-span-01', tracestate: 'v=1' } });
    const out = await p.run(task([m, own], { handler: 'billing', trace: { traceparent: '00-abc-def-01' } }));
    expect(out).toEqual([{ ok: true }, { ok: true }]);
    await until(() => logger.records.filter((r) => r.msg === 'report').length === 2, 'report logs');
    const rec = logger.records.find(
      (r) => r.msg === 'report' && (r.fields?.['value'] as { total: number }).total === 12,
    )!;
    const ownRec = logger.records.find(
      (r) => r.msg === 'report' && (r.fields?.['value'] as { total: number }).total === 13,
    )!;
    expect(ownRec.fields?.['trace']).toEqual({ traceparent: '00-own-span-01', tracestate: 'v=1' });
    expect(rec.level).toBe('info');
    expect(rec.fields).toMatchObject({
      value: { op: 'report', total: 12 },
      id: 'custom-id',
      topic: 'orders',
      key: 'c-42',
      headers: { source: 'web' },
      partition: 3,
      offset: '77',
      timestamp: 123,
      attempt: 2,
      ctxAttempt: 2,
      handler: 'billing',
      trace: { traceparent: '00-abc-def-01' },
      aborted: false,
    });
    expect(typeof rec.fields?.['threadId']).toBe('number');
  });

  it("decodes msgpack (with the pool's shared structures) and fails malformed payloads with a non-retryable DecodeError", async () => {
    const structures = [['op', 'total']];
    const codec = msgpackCodec({ structures });
    const logger = captureLogger();
    const p = pool({ threads: 1, logger, msgpack: { structures } });
    const good = { ...message(null), value: codec.encode({ op: 'report', total: 7 }) };
    const truncated = {
      ...message(null),
      value: codec.encode({ op: 'report', total: 7, extra: 'x'.repeat(20) }).subarray(0, 10),
    };
    const out = await p.run(
      task([good, truncated, { ...message(null), value: new Uint8Array([0xc1]) }], {
        contentType: 'application/vnd.msgpack',
      }),
    );
    expect(out[0]).toEqual({ ok: true });
    expect(failed(out[1])).toMatchObject({ name: 'DecodeError', retryable: false });
    expect(failed(out[2])).toMatchObject({ name: 'DecodeError', retryable: false });
    await until(() => logger.records.some((r) => r.msg === 'report'), 'report log');
    expect(logger.records.find((r) => r.msg === 'report')!.fields?.['value']).toEqual({ op: 'report', total: 7 });

    const json = await p.run(
      task([{ ...message(null), value: new TextEncoder().encode('{"op": "ok"') }, message({ op: 'ok' })]),
    );
    expect(failed(json[0])).toMatchObject({ name: 'DecodeError', retryable: false });
    expect(json[1]).toEqual({ ok: true });
    const unknown = await p.run(task([message({ op: 'ok' })], { contentType: 'text/csv' }));
    expect(failed(unknown[0])).toMatchObject({
      name: 'DecodeError',
      retryable: false,
      message: expect.stringContaining('text/csv'),
    });
  });

  it('survives process.exit in a handler: the message fails retryable, the rest of the batch still runs, the thread is replaced (and logged)', async () => {
    const logger = captureLogger();
    const p = pool({ threads: 1, logger });
    const out = await p.run(
      task([message({ op: 'ok' }), message({ op: 'exit' }), message({ op: 'ok' }), message({ op: 'throw' })]),
    );
    expect(out[0]).toEqual({ ok: true });
    expect(failed(out[1])).toMatchObject({ name: 'WorkerCrashedError', retryable: true });
    expect(out[2]).toEqual({ ok: true });
    expect(failed(out[3])).toMatchObject({ message: 'boom', retryable: true });
    await until(() => p.stats().threadRestarts >= 1, 'thread restart');
    expect(p.stats().lostTasks).toBe(1);
    expect(await p.run(task([message({ op: 'ok' }), message({ op: 'ok' })]))).toEqual([{ ok: true }, { ok: true }]);
    expect(logger.records.find((r) => r.msg.startsWith('worker thread died'))).toMatchObject({
      level: 'error',
      fields: { component: 'worker-pool', handler: 'h', threadId: expect.any(Number), rerun: 2 },
    });
    await until(() => logger.records.some((r) => r.msg.startsWith('worker thread exited')), 'replacement line');
    expect(logger.records.find((r) => r.msg.startsWith('worker thread exited'))).toMatchObject({
      level: 'warn',
      fields: { component: 'worker-pool' },
    });
  });

  it('keeps failure details posted before a crash', async () => {
    const p = pool({ threads: 1, logger: captureLogger() });
    const out = await p.run(task([message({ op: 'nonretryable' }), message({ op: 'exit' })]));
    expect(failed(out[0])).toMatchObject({ name: 'NonRetryableError', retryable: false });
    expect(failed(out[1])).toMatchObject({ name: 'WorkerCrashedError', retryable: true });
  });

  it('terminates and replaces a thread stuck past timeoutMs; only that message times out', async () => {
    const logger = captureLogger();
    const p = pool({ threads: 1, timeoutGraceMs: 100, logger });
    const out = await p.run(
      task([message({ op: 'ok' }), message({ op: 'loop' }), message({ op: 'ok' })], { timeoutMs: 300 }),
    );
    expect(out[0]).toEqual({ ok: true });
    expect(failed(out[1])).toMatchObject({ name: 'TimeoutError', code: 'ERR_TIMEOUT', retryable: true });
    expect(out[2]).toEqual({ ok: true });
    expect(p.stats().timeouts).toBe(1);
    await until(() => p.stats().threadRestarts >= 1, 'thread restart');
    expect(logger.records.some((r) => r.level === 'warn' && r.msg.includes('timed out'))).toBe(true);
    expect(await p.run(task([message({ op: 'ok' })]))).toEqual([{ ok: true }]);
  });

  it('fails an async handler that never settles at timeoutMs and aborts its signal, without killing the thread', async () => {
    const logger = captureLogger();
    const p = pool({ threads: 1, timeoutGraceMs: 5_000, logger });
    const out = await p.run(task([message({ op: 'hang' }), message({ op: 'ok' })], { timeoutMs: 200 }));
    expect(failed(out[0])).toMatchObject({ name: 'TimeoutError', retryable: true });
    expect(out[1]).toEqual({ ok: true });
    await until(() => logger.records.some((r) => r.msg === 'aborted'), 'abort log');
    expect(logger.records.find((r) => r.msg === 'aborted')!.fields?.['reason']).toBe('TimeoutError');
    expect(p.stats().threadRestarts).toBe(0);
    expect(p.stats().timeouts).toBe(0);
  });

  it('reports saturation when its queue is full and calls onCapacity when it drains', async () => {
    const p = pool({ threads: 1, concurrentTasksPerWorker: 1, maxQueue: 1, logger: captureLogger() });
    await p.start();
    let calls = 0;
    const off = p.onCapacity(() => {
      calls++;
    });
    expect(p.saturated).toBe(false);
    const a = p.run(task([message({ op: 'block', ms: 300 })]));
    expect(p.saturated).toBe(false);
    const b = p.run(task([message({ op: 'block', ms: 300 })]));
    expect(p.saturated).toBe(true);
    expect(p.stats()).toMatchObject({ saturated: true, inFlightTasks: 2, capacity: 2 });
    expect(calls).toBe(0);
    await a;
    expect(calls).toBe(1);
    expect(p.saturated).toBe(false);
    off();
    const c = p.run(task([message({ op: 'ok' })]));
    expect(p.saturated).toBe(true);
    await Promise.all([b, c]);
    expect(calls).toBe(1);
    expect(p.saturated).toBe(false);
  });

  // The sizing arithmetic is exact in batch-sizer.test.ts; how large a fast handler's batches grow
  // depends on the machine's speed, which is the benchmarks' business. Here: the pool feeds it.
  it('sizes batches from measured handler time: starts at the minimum, a slow handler stays there', async () => {
    const p = pool({ threads: 1, minBatchSize: 10, maxBatchSize: 1000, targetTaskMs: 10, logger: captureLogger() });
    expect(p.batchSize('slow')).toBe(10);
    expect(p.stats().handlers).toEqual({});
    // 30 ms per message (a lower bound, whatever the machine) is over the 10 ms target: the minimum.
    await p.run(task([message({ op: 'block', ms: 30 }), message({ op: 'block', ms: 30 })], { handler: 'slow' }));
    expect(p.batchSize('slow')).toBe(10);
    expect(p.stats().handlers['slow']?.msPerMessage).toBeGreaterThanOrEqual(29);
    await p.run(task([message({ op: 'none' })], { handler: 'fast' }));
    expect(p.stats().handlers['fast']?.batchSize).toBe(p.batchSize('fast'));
  });

  it('fails every message retryable when the worker module cannot be loaded', async () => {
    const p = pool({ threads: 1, logger: captureLogger() });
    const missing = await p.run(
      task([message({}), message({})], { worker: new URL('../../test-fixtures/missing.mjs', import.meta.url).href }),
    );
    for (const o of missing) expect(failed(o)).toMatchObject({ name: 'WorkerModuleError', retryable: true });
    const noDefault = await p.run(
      task([message({})], { worker: new URL('../../test-fixtures/no-default.mjs', import.meta.url).href }),
    );
    expect(failed(noDefault[0]).message).toMatch(/no default export/);
  });

  it('close drains in-flight tasks, then rejects new ones with ClosedError', async () => {
    const p = pool({ threads: 1, logger: captureLogger() });
    const inflight = p.run(task([message({ op: 'sleep', ms: 300 }), message({ op: 'ok' })]));
    await until(() => p.stats().inFlightTasks === 1, 'task in flight');
    await p.close(20_000);
    expect(await inflight).toEqual([{ ok: true }, { ok: true }]);
    expect(p.stats().state).toBe('closed');
    await expect(p.run(task([message({ op: 'ok' })]))).rejects.toBeInstanceOf(ClosedError);
    await expect(p.start()).rejects.toBeInstanceOf(ClosedError);
  });

  it('close terminates tasks still running at the drain deadline; their run rejects with ClosedError', async () => {
    const p = pool({ threads: 1, logger: captureLogger() });
    const stuck = p.run(task([message({ op: 'loop' })], { timeoutMs: 600_000 }));
    stuck.catch(() => undefined);
    await until(() => p.stats().inFlightTasks === 1, 'task in flight');
    await p.close(200);
    await expect(stuck).rejects.toBeInstanceOf(ClosedError);
    expect(p.stats().threadRestarts).toBe(0);
  });

  it('validates options, naming the option and the expected form', () => {
    expect(() => workerPool({ threads: 0 })).toThrow(/"threads" must be a positive integer/);
    expect(() => workerPool({ concurrentTasksPerWorker: 1.5 })).toThrow(/"concurrentTasksPerWorker"/);
    expect(() => workerPool({ maxQueue: -1 })).toThrow(/"maxQueue" must be an integer ≥ 0/);
    expect(() => workerPool({ minBatchSize: 50, maxBatchSize: 10 })).toThrow(/"maxBatchSize"/);
    expect(() => workerPool({ targetTaskMs: 0 })).toThrow(/"targetTaskMs"/);
    expect(() => workerPool({ atomics: 'maybe' as never })).toThrow(/"atomics"/);
    expect(() => workerPool({ timeoutGraceMs: -5 })).toThrow(/"timeoutGraceMs"/);
    for (const bad of [
      { threads: 0 },
      { maxQueue: -1 },
      { minBatchSize: 50, maxBatchSize: 10 },
      { targetTaskMs: 0 },
      { atomics: 'maybe' as never },
      null as never,
    ]) {
      expect(() => workerPool(bad)).toThrow(ConfigError);
    }
  });

  it('defaults threads to PARTITA_WORKER_THREADS and rejects a bad value with a ConfigError naming the variable', () => {
    const saved = process.env['PARTITA_WORKER_THREADS'];
    try {
      process.env['PARTITA_WORKER_THREADS'] = '3';
      expect(workerPool().stats()).toMatchObject({
        threadCount: 3,
        capacity: 3 * 2 + 3,
        state: 'created',
        saturated: false,
      });
      process.env['PARTITA_WORKER_THREADS'] = 'lots';
      expect(() => workerPool()).toThrow(ConfigError);
      expect(() => workerPool()).toThrow(/PARTITA_WORKER_THREADS="lots".*positive integer/);
      delete process.env['PARTITA_WORKER_THREADS'];
      expect(workerPool().stats().threadCount).toBeGreaterThanOrEqual(1);
    } finally {
      if (saved === undefined) delete process.env['PARTITA_WORKER_THREADS'];
      else process.env['PARTITA_WORKER_THREADS'] = saved;
    }
  });
});
