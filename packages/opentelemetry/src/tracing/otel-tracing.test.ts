import { BroadcastChannel } from 'node:worker_threads';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { createApp, createConsoleLogger, defineHandler, type App } from '@partita/core';
import { createMemoryBroker, memoryTransport } from '@partita/memory';
import { workerPool } from '@partita/worker-pool';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { otelInstrumentation } from '../index.js';
import { installTracing, one, type SpanView, until } from './otel.test-support.js';

const otel = installTracing();
afterAll(() => otel.uninstall());
const quiet = createConsoleLogger({ level: 'silent' });
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  otel.exporter.reset();
});

function memoryApp(
  handlers: Parameters<typeof createApp>[0]['handlers'],
  extra: Partial<Parameters<typeof createApp>[0]> = {},
): App {
  const broker = createMemoryBroker({ defaultPartitions: 2 });
  const app = createApp({
    transport: memoryTransport(broker),
    handlers,
    logger: quiet,
    instrumentation: [otelInstrumentation()],
    ...extra,
  });
  cleanup.push(
    () => broker.close(),
    () => app.stop({ drainTimeoutMs: 2000 }),
  );
  return app;
}

describe('otelInstrumentation on the memory broker', () => {
  it('publish → process → handler span → publish → process form one trace, with the messaging attributes', async () => {
    let done = false;
    const app = memoryApp([
      defineHandler<{ n: number }>({
        name: 'first',
        topic: 'orders',
        async handle(msg, ctx) {
          await trace.getTracer('test').startActiveSpan('inside handler', async (span) => {
            await ctx.publish({ topic: 'orders.next', key: msg.key, value: { n: msg.value.n + 1 } });
            span.end();
          });
        },
      }),
      defineHandler({ name: 'second', topic: 'orders.next', handle: () => void (done = true) }),
    ]);
    await app.start();
    await app.publish({ topic: 'orders', key: 'k1', value: { n: 1 } });
    await until('the second handler', () => (done ? true : undefined));
    const spans = await until('five spans', () => (otel.spans().length >= 5 ? otel.spans() : undefined));

    const send1 = one(spans, 'send orders', (s) => s.name === 'send orders');
    const proc1 = one(spans, 'process orders', (s) => s.name === 'process orders');
    const inner = one(spans, 'inside handler', (s) => s.name === 'inside handler');
    const send2 = one(spans, 'send orders.next', (s) => s.name === 'send orders.next');
    const proc2 = one(spans, 'process orders.next', (s) => s.name === 'process orders.next');
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    expect(send1.parentSpanId).toBeUndefined();
    expect(proc1.parentSpanId).toBe(send1.spanId);
    expect(inner.parentSpanId).toBe(proc1.spanId);
    expect(send2.parentSpanId).toBe(inner.spanId);
    expect(proc2.parentSpanId).toBe(send2.spanId);

    expect(send1.kind).toBe(SpanKind.PRODUCER);
    expect(send1.attributes).toMatchObject({
      'messaging.system': 'memory',
      'messaging.destination.name': 'orders',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
    });
    expect(proc1.kind).toBe(SpanKind.CONSUMER);
    expect(proc1.attributes).toMatchObject({
      'messaging.system': 'memory',
      'messaging.destination.name': 'orders',
      'messaging.consumer.group.name': 'first',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'partita.handler': 'first',
      'partita.attempt': 1,
    });
    const partition = proc1.attributes['messaging.destination.partition.id'] as string;
    const offset = proc1.attributes['messaging.partita.offset'] as string;
    expect(partition).toMatch(/^[01]$/);
    expect(proc1.attributes['messaging.message.id']).toBe(`orders/${partition}/${offset}`);
    expect(proc1.status).toBe(SpanStatusCode.UNSET);
  });

  it('a failed attempt is an ERROR span with error.type and an exception event; the retry is a sibling with attempt 2; the dead letter stays in the trace', async () => {
    let handled = 0;
    class PaymentDeclined extends Error {
      override name = 'PaymentDeclined';
    }
    const app = memoryApp([
      defineHandler<{ poison: boolean }>({
        name: 'pay',
        topic: 'payments',
        retry: { maxAttempts: 2, backoff: { initialMs: 1, maxMs: 1 } },
        handle(msg) {
          if (msg.value.poison || msg.attempt === 1) throw new PaymentDeclined('declined');
          handled++;
        },
      }),
    ]);
    await app.start();
    await app.publish([
      { topic: 'payments', key: 'a', value: { poison: false } },
      { topic: 'payments', key: 'b', value: { poison: true } },
    ]);
    const spans = await until('attempts and the dead letter', () => {
      const s = otel.spans();
      return handled === 1 && s.some((x) => x.name === 'send payments.dlq') ? s : undefined;
    });
    const send = one(spans, 'send payments', (s) => s.name === 'send payments');
    expect(send.attributes['messaging.batch.message_count']).toBe(2);
    const attempts = spans.filter((s) => s.name === 'process payments');
    expect(attempts).toHaveLength(4);
    for (const a of attempts) expect(a.parentSpanId).toBe(send.spanId);
    const failed = attempts.filter((a) => a.status === (SpanStatusCode.ERROR as number));
    expect(failed).toHaveLength(3);
    for (const f of failed) {
      expect(f.attributes['error.type']).toBe('PaymentDeclined');
      expect(f.events).toContain('exception');
    }
    expect(attempts.map((a) => a.attributes['partita.attempt']).sort()).toEqual([1, 1, 2, 2]);
    const dlq = one(spans, 'send payments.dlq', (s) => s.name === 'send payments.dlq');
    expect(dlq.traceId).toBe(send.traceId);
  });

  it('across the worker-thread hop: the worker handler sees the process span as its active parent', async () => {
    const received: SpanView[] = [];
    const channel = new BroadcastChannel('partita-otel-test');
    channel.onmessage = (e) => received.push((e as unknown as { data: SpanView }).data);
    cleanup.push(async () => channel.close());
    let forwarded = false;
    const app = memoryApp(
      [
        defineHandler({
          name: 'crunch',
          topic: 'jobs',
          worker: new URL('../fixtures/traced.worker.mjs', import.meta.url),
        }),
        defineHandler({ name: 'after', topic: 'jobs.done', handle: () => void (forwarded = true) }),
      ],
      {
        executor: workerPool({
          threads: 1,
          logger: quiet,
          setup: new URL('../fixtures/worker-setup.mjs', import.meta.url),
        }),
      },
    );
    await app.start();
    await app.publish({ topic: 'jobs', key: 'j', value: { id: 7, out: 'jobs.done' } });
    await until('the forwarded record', () => (forwarded && received.length > 0 ? true : undefined));
    const spans = await until('spans', () =>
      otel.spans().some((s) => s.name === 'process jobs.done') ? otel.spans() : undefined,
    );
    const send = one(spans, 'send jobs', (s) => s.name === 'send jobs');
    const proc = one(spans, 'process jobs', (s) => s.name === 'process jobs');
    const work = one(received, 'work in worker', (s) => s.name === 'work in worker');
    expect(proc.parentSpanId).toBe(send.spanId);
    expect(work.traceId).toBe(proc.traceId);
    expect(work.parentSpanId).toBe(proc.spanId);
    const sendOut = one(spans, 'send jobs.done', (s) => s.name === 'send jobs.done');
    expect(sendOut.parentSpanId).toBe(work.spanId);
    const procOut = one(spans, 'process jobs.done', (s) => s.name === 'process jobs.done');
    expect(procOut.parentSpanId).toBe(sendOut.spanId);
    expect(proc.attributes['partita.handler']).toBe('crunch');
  });
});
