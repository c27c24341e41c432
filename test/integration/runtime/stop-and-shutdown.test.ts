// Issue 11, "Stop and shutdown": stop() drains without verdicts of its own,
// leaves no timers behind, is bounded by drainTimeoutMs, and takes Infinity
// as "no limit". Runs the whole runtime on the embedded broker.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createApp, createVirtualClock, defineHandler, NonRetryableError, type App } from '@partita/core';
import { createMemoryBroker, memoryTransport, type MemoryBroker } from '@partita/memory';
import { workerPool } from '@partita/worker-pool';
import { recordingLogger, waitFor } from '@partita/testing';
import { afterThisTest, memoryBroker, quiet, stoppedAfterTest, uniq } from '../support/app-harness.js';
import { faultyTransport, type Faults } from './fault-transport.js';

const broker = (): MemoryBroker => memoryBroker(1);
const track = (app: App): App => stoppedAfterTest(app, 1000);
const endOffset = (b: MemoryBroker, topic: string): number =>
  b.stats().topics.find((t) => t.name === topic)?.partitions[0]?.endOffset ?? 0;
const WORKER = new URL('../workers/fixtures/orders.worker.mjs', import.meta.url);
const SLEEPER = new URL('./fixtures/sleep.worker.mjs', import.meta.url);

describe('stop() and shutdown', () => {
  it('a pipeline handler held in flight across stop() still publishes its output; nothing is dead-lettered', async () => {
    const b = broker();
    const topic = uniq('orders');
    const out = uniq('invoices');
    const group = uniq('billing');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered = false;
    const app = track(
      createApp({
        transport: memoryTransport(b),
        logger: quiet,
        handlers: [
          defineHandler<{ n: number }>({
            name: group,
            topic,
            async handle(m, ctx) {
              entered = true;
              await gate;
              await ctx.publish({ topic: out, key: m.key, value: { invoiced: m.value.n } });
            },
          }),
        ],
      }),
    );
    await app.start();
    await app.publish({ topic, key: 'c-1', value: { n: 1 } });
    await waitFor(() => entered, { description: 'handler in flight' });
    const stopping = app.stop({ drainTimeoutMs: 30_000 });
    await waitFor(() => app.inspect().state === 'stopping', { description: 'app stopping' });
    release();
    await stopping;
    expect(endOffset(b, out)).toBe(1);
    expect(endOffset(b, `${topic}.dlq`)).toBe(0);
    expect(b.stats().deadLetters.total).toBe(0);
    expect(b.committed({ group, topic, partition: 0 })?.offset).toBe(1);
  });

  it('an executor closed by another app ends in-flight worker tasks without a verdict: the message is redelivered, not dead-lettered', async () => {
    const b = broker();
    const topic = uniq('archive');
    const name = uniq('archiver');
    const pool = workerPool({ threads: 1, logger: quiet });
    const handler = defineHandler({
      name,
      topic,
      worker: WORKER,
      retry: { maxAttempts: 3, backoff: { initialMs: 10 } },
    });
    const other = createApp({ transport: memoryTransport(b), executor: pool, logger: quiet, handlers: [] });
    const app = track(createApp({ transport: memoryTransport(b), executor: pool, logger: quiet, handlers: [handler] }));
    await other.start();
    await app.start();
    await app.publish({ topic, key: 'k', value: { op: 'block', ms: 3000 } });
    await waitFor(() => app.inspect().lanes[0]?.inFlight === 1, { description: 'worker task in flight' });
    await other.stop({ drainTimeoutMs: 50 }); // closes the shared pool: the task is terminated with ClosedError
    await waitFor(() => app.inspect().lanes[0]?.inFlight === 0, { description: 'task ended' });
    expect(app.inspect().metrics.deadLettered).toBe(0);
    await app.stop({ drainTimeoutMs: 1000 });
    expect(b.stats().deadLetters.total).toBe(0);
    expect(b.committed({ group: name, topic, partition: 0 })?.offset ?? 0).toBe(0);

    // A new member of the group gets the message again and handles it.
    const pool2 = workerPool({ threads: 1, logger: quiet });
    const again = track(
      createApp({ transport: memoryTransport(b), executor: pool2, logger: quiet, handlers: [handler] }),
    );
    await again.start();
    await waitFor(() => again.inspect().metrics.succeeded === 1, {
      description: 'redelivered and handled',
      timeoutMs: 60_000,
    });
    await again.stop();
    expect(b.committed({ group: name, topic, partition: 0 })?.offset).toBe(1);
  });

  it('leaves no timer behind: a process whose handler is in a 60 s backoff exits on its own right after stop()', async () => {
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('./fixtures/pending-timer-child.mjs', import.meta.url))],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await waitFor(() => out.includes('stopped'), { description: `child stopped (${out})`, timeoutMs: 60_000 });
    // The 60 s backoff timer must not hold the process: it exits long before it would fire.
    const exitedInTime = await Promise.race([
      exited.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 20_000).unref()),
    ]);
    if (!exitedInTime) child.kill('SIGKILL');
    expect(exitedInTime, `the child did not exit after stop(): ${out}`).toBe(true);
    expect(await exited).toBe(0);
  });

  it.each([
    ['a retry backoff', 'backoff'],
    ['a failing dead-letter publish', 'dead-letter'],
    ['a failing commit', 'commit'],
  ] as const)('after stop() resolves no runtime timer is pending, also while waiting on %s', async (_what, mode) => {
    const appClock = createVirtualClock(); // the broker keeps the system clock: pending() counts the runtime's timers only
    const b = broker();
    const topic = uniq('t');
    const faults: Faults = {};
    let attempts = 0;
    const logger = recordingLogger({ level: 'warn' });
    const warned = (text: string): boolean => logger.records.some((r) => r.msg?.includes(text) ?? false);
    const app = createApp({
      transport: faultyTransport(memoryTransport(b), faults),
      clock: appClock,
      logger,
      handlers: [
        defineHandler({
          name: uniq('h'),
          topic,
          retry: { maxAttempts: 3, backoff: { initialMs: 60_000, jitter: 0 } },
          handle() {
            attempts++;
            if (mode === 'backoff') throw new Error('transient');
            if (mode === 'dead-letter') throw new NonRetryableError('poison');
          },
        }),
      ],
    });
    if (mode === 'dead-letter')
      faults.publish = (r) => (r.topic.endsWith('.dlq') ? new Error('dead-letter topic unavailable') : undefined);
    if (mode === 'commit') faults.commit = 'fail';
    let retryScheduled = false;
    app.on('message.retry-scheduled', () => (retryScheduled = true));
    await app.start();
    await app.publish({ topic, key: 'k', value: 1 });
    const waiting = {
      backoff: () => retryScheduled,
      'dead-letter': () => warned('blocked'),
      commit: () => warned('commit failed'),
    }[mode];
    await waitFor(() => attempts === 1 && waiting(), { description: `waiting on ${mode}` });
    // A drain shorter than any retry delay: a timer left behind is still pending when stop() resolved.
    const stopping = app.stop({ drainTimeoutMs: 50 });
    await appClock.advance(50);
    await stopping;
    expect(appClock.pending()).toBe(0);
  });

  it('stop() is bounded by drainTimeoutMs even when the final commit never answers', async () => {
    const clock = createVirtualClock();
    const b = createMemoryBroker({ defaultPartitions: 1, clock });
    afterThisTest(() => b.close());
    const topic = uniq('t');
    let handled = 0;
    const faults: { commit?: 'hang' } = {};
    const app = createApp({
      transport: faultyTransport(memoryTransport(b), faults),
      clock,
      logger: quiet,
      handlers: [
        defineHandler({
          name: uniq('h'),
          topic,
          handle: () => {
            handled++;
          },
        }),
      ],
    });
    await app.start();
    faults.commit = 'hang';
    await app.publish({ topic, key: 'k', value: 1 });
    await waitFor(() => handled === 1, { description: 'handled' });
    let stopped = false;
    const stopping = app.stop({ drainTimeoutMs: 1000 }).then(() => (stopped = true));
    await clock.advance(999);
    expect(stopped).toBe(false);
    await clock.advance(2);
    await waitFor(() => stopped, { description: 'stop() resolved at its drain deadline', timeoutMs: 10_000 });
    await stopping;
  });

  it('drainTimeoutMs: Infinity means no limit: an in-flight handler is not aborted', async () => {
    const b = broker();
    const topic = uniq('t');
    const group = uniq('h');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let signal: AbortSignal | undefined;
    const app = track(
      createApp({
        transport: memoryTransport(b),
        logger: quiet,
        handlers: [
          defineHandler({
            name: group,
            topic,
            async handle(_m, ctx) {
              signal = ctx.signal;
              await gate;
            },
          }),
        ],
      }),
    );
    await app.start();
    await app.publish({ topic, key: 'k', value: 1 });
    await waitFor(() => signal !== undefined, { description: 'in flight' });
    const stopping = app.stop({ drainTimeoutMs: Infinity });
    // Well past the 1 ms Node would clamp Infinity to: still running, not aborted.
    await new Promise((r) => setTimeout(r, 200));
    expect(signal!.aborted).toBe(false);
    release();
    await stopping;
    expect(b.committed({ group, topic, partition: 0 })?.offset).toBe(1);
  });

  it('timeoutMs above 2^31-1 ms or Infinity is honoured, not turned into 1 ms', async () => {
    for (const timeoutMs of [2 ** 31 * 3, Infinity]) {
      const b = broker();
      const topic = uniq('t');
      let timedOut = 0;
      const app = track(
        createApp({
          transport: memoryTransport(b),
          logger: quiet,
          handlers: [
            defineHandler({
              name: uniq('h'),
              topic,
              timeoutMs,
              async handle(_m, ctx) {
                await new Promise((r) => setTimeout(r, 100));
                if (ctx.signal.aborted) timedOut++;
              },
            }),
          ],
        }),
      );
      app.on('message.failed', () => timedOut++);
      await app.start();
      await app.publish({ topic, key: 'k', value: 1 });
      await waitFor(() => app.inspect().metrics.succeeded + timedOut >= 1, { description: 'handled' });
      expect(timedOut).toBe(0);
      await app.stop();
    }
  });

  it('a worker handler with timeoutMs above 2^31-1 ms is not timed out after 1 ms', async () => {
    const b = broker();
    const topic = uniq('w');
    const pool = workerPool({ threads: 1, logger: quiet });
    const app = track(
      createApp({
        transport: memoryTransport(b),
        executor: pool,
        logger: quiet,
        handlers: [
          defineHandler({ name: uniq('h'), topic, worker: SLEEPER, timeoutMs: 2 ** 31 * 3, retry: { maxAttempts: 1 } }),
        ],
      }),
    );
    await app.start();
    await app.publish({ topic, key: 'k', value: { ms: 100 } });
    await waitFor(() => app.inspect().metrics.succeeded + app.inspect().metrics.failed >= 1, {
      description: 'handled',
    });
    expect(app.inspect().metrics.failed).toBe(0);
  });

  it('refuses durations the runtime cannot honour with a ConfigError naming the option', () => {
    for (const timeoutMs of [0, -1, 1.5, Number.NaN]) {
      expect(() => defineHandler({ name: 'h', topic: 't', timeoutMs, handle() {} })).toThrow(/option "timeoutMs"/);
    }
    expect(defineHandler({ name: 'h', topic: 't', timeoutMs: Infinity, handle() {} }).timeoutMs).toBe(Infinity);
    expect(
      defineHandler({ name: 'h', topic: 't', retry: { backoff: { maxMs: Infinity } }, handle() {} }).retry.backoff
        .maxMs,
    ).toBe(Infinity);
  });
});
