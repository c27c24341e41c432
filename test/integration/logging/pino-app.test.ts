// Issue 16 "Logs": a pino instance passed to createApp as it is receives the
// runtime's lines with the lane's bindings and the message's fields (never the
// raw key), the handlers' ctx.logger lines (inline and on a worker thread),
// and the connector's lines, each with its fields.
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, defineHandler, keyHash, NonRetryableError, type App } from '@partita/core';
import { createMemoryBroker, memoryTransport } from '@partita/memory';
import { workerPool } from '@partita/worker-pool';
import { waitFor } from '@partita/testing';
import { pinoCapture, PINO, type PinoLine } from './pino-capture.js';

const WORKER = new URL('./fixtures/log.worker.mjs', import.meta.url);
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const traceparent = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
const suffix = (): string => Math.random().toString(36).slice(2, 8);
const apps: App[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.stop({ drainTimeoutMs: 2000 }).catch(() => undefined);
});
const find = (lines: readonly PinoLine[], msg: string): PinoLine | undefined => lines.find((l) => l.msg === msg);

describe('a pino instance passed to createApp', () => {
  it('gets the lane bindings and message fields on runtime and handler lines, inline and from a worker thread', async () => {
    const { logger, lines, text } = pinoCapture();
    const broker = createMemoryBroker({ defaultPartitions: 2 });
    const topic = `logs-${suffix()}`;
    const workerTopic = `logs-w-${suffix()}`;
    const key = 'customer-4711@example.com';
    const app = createApp({
      transport: memoryTransport(broker),
      executor: workerPool({ threads: 1 }),
      logger,
      handlers: [
        defineHandler<{ n: number }>({
          name: 'inline',
          topic,
          handle: (msg, ctx) => {
            ctx.logger.info({ n: msg.value.n }, 'inline handled');
            if (msg.value.n === 2) throw new NonRetryableError('poison');
          },
        }),
        defineHandler({ name: 'threaded', topic: workerTopic, worker: WORKER }),
      ],
    });
    apps.push(app);
    await app.start();
    await app.publish([
      { topic, key, value: { n: 1 }, headers: { traceparent } },
      { topic, key, value: { n: 2 }, headers: { traceparent } },
      { topic: workerTopic, key, value: { n: 3 }, headers: { traceparent } },
    ]);
    await waitFor(
      () => find(lines, 'message dead-lettered') !== undefined && find(lines, 'worker child line') !== undefined,
      {
        description: 'the dead-letter line and the worker lines',
        timeoutMs: 60_000,
      },
    );

    const partition = (find(lines, 'inline handled')!.partition as number) ?? -1;
    const lane = { handler: 'inline', group: 'inline', topic, partition };
    const message = { keyHash: keyHash(key), traceId: TRACE_ID };
    // A handler's own line: the lane's bindings and the message's fields, with what it logged.
    expect(lines.filter((l) => l.msg === 'inline handled')).toEqual([
      expect.objectContaining({ level: PINO.info, ...lane, ...message, offset: expect.any(String), attempt: 1, n: 1 }),
      expect.objectContaining({ level: PINO.info, ...lane, ...message, attempt: 1, n: 2 }),
    ]);
    // The runtime's line about a message.
    expect(find(lines, 'message dead-lettered')).toMatchObject({
      level: PINO.warn,
      ...lane,
      ...message,
      attempt: 1,
      reason: 'non-retryable',
      deadLetterTopic: `${topic}.dlq`,
      err: { type: 'NonRetryableError', message: 'poison' },
    });
    // A worker handler's lines reach the main thread's pino with the same fields, and the thread id.
    const threaded = { handler: 'threaded', group: 'threaded', topic: workerTopic, ...message, attempt: 1 };
    expect(find(lines, 'from worker')).toMatchObject({
      level: PINO.info,
      ...threaded,
      offset: expect.any(String),
      partition: expect.any(Number),
      threadId: expect.any(Number),
      n: 3,
    });
    expect(find(lines, 'worker child line')).toMatchObject({ level: PINO.debug, ...threaded, step: 'inner' });
    expect(text()).not.toContain('customer-4711');
  });

  it("gets the memory connector's lines with component, and an old (msg, fields) logger is refused", async () => {
    const { logger, lines } = pinoCapture();
    const broker = createMemoryBroker();
    const transport = memoryTransport(broker);
    const topic = `logs-m-${suffix()}`;
    const app = createApp({
      transport,
      logger,
      handlers: [
        defineHandler({
          name: 'sink',
          topic,
          handle: () => undefined,
        }),
      ],
    });
    apps.push(app);
    await app.start();
    // A lane sink that throws is reported by the memory transport through the app's logger.
    const failing = await transport.subscribe(
      {
        group: `g-${suffix()}`,
        topic,
        handler: 'h',
        maxInFlight: 1,
        timeoutMs: 1000,
        maxAttempts: 1,
        startFrom: 'earliest',
      },
      {
        assigned: () => ({
          deliver: () => {
            throw new Error('sink bug');
          },
        }),
        revoked: async () => undefined,
      },
    );
    await app.publish({ topic, value: { n: 1 } });
    await waitFor(() => lines.some((l) => l.component === 'memory'), { description: 'memory line', timeoutMs: 30_000 });
    expect(lines.find((l) => l.component === 'memory')).toMatchObject({
      level: PINO.error,
      where: 'deliver',
      err: { message: 'sink bug' },
    });
    await failing.close();
    expect(() =>
      createApp({
        transport: memoryTransport(broker),
        logger: { info() {}, warn() {}, error() {}, debug() {} } as never,
      }),
    ).toThrow(/option "logger" must be a Logger in pino's shape/);
  });
});
