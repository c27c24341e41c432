import { context, createContextKey, propagation, trace, SamplingDecision, type Attributes } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { ParentBasedSampler, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace-base';
import { createApp, createConsoleLogger, defineHandler, jsonCodec, type App } from '@partita/core';
import { createMemoryBroker, memoryTransport, type MemoryBroker } from '@partita/memory';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { otelInstrumentation } from '../index.js';
import { installTracing, until } from './otel.test-support.js';

/**
 * A root sampler that samples every root span but partita's `process` spans:
 * under `ParentBased`, the handler's spans and publishes stay unsampled only
 * if the (unsampled) process span is their active parent; started as roots
 * they would be recorded.
 */
const processSpansSampledOut: Sampler = {
  shouldSample: (_ctx, _traceId, name: string, _kind, _attrs: Attributes): SamplingResult => ({
    decision: name.startsWith('process ') ? SamplingDecision.NOT_RECORD : SamplingDecision.RECORD_AND_SAMPLED,
  }),
  toString: () => 'processSpansSampledOut',
};

const otel = installTracing({
  sampler: new ParentBasedSampler({ root: processSpansSampledOut }),
  propagator: new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  }),
});
afterAll(() => otel.uninstall());

const quiet = createConsoleLogger({ level: 'silent' });
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  otel.exporter.reset();
});

function memoryApp(handlers: Parameters<typeof createApp>[0]['handlers']): { app: App; broker: MemoryBroker } {
  const broker = createMemoryBroker({ defaultPartitions: 1 });
  const app = createApp({
    transport: memoryTransport(broker),
    handlers,
    logger: quiet,
    instrumentation: [otelInstrumentation()],
  });
  cleanup.push(
    () => broker.close(),
    () => app.stop({ drainTimeoutMs: 2000 }),
  );
  return { app, broker };
}

describe('the process span as the handler context', () => {
  it('an unsampled process span is still the active parent: the handler span and publish stay unsampled, in its trace', async () => {
    const seen: { traceId: string; spanId: string; flags: number; childRecording: boolean }[] = [];
    const downstream: (string | undefined)[] = [];
    const { app, broker } = memoryApp([
      defineHandler({
        name: 'unsampled',
        topic: 'quiet',
        async handle(msg, ctx) {
          const active = trace.getSpan(context.active());
          const sc = active?.spanContext();
          const child = trace.getTracer('test').startSpan('inside handler');
          seen.push({
            traceId: sc?.traceId ?? '',
            spanId: sc?.spanId ?? '',
            flags: sc?.traceFlags ?? -1,
            childRecording: child.isRecording(),
          });
          child.end();
          await ctx.publish({ topic: 'quiet.next', key: msg.key, value: {} });
        },
      }),
      defineHandler({
        name: 'next',
        topic: 'quiet.next',
        handle: (msg) => void downstream.push(msg.headers.traceparent),
      }),
    ]);
    await app.start();
    // Published past the app (no send span, no traceparent): the process span is a root, which the sampler drops.
    await broker.publish([{ topic: 'quiet', key: 'k', value: jsonCodec.encode({}), headers: {} }]);
    const header = await until('the downstream message', () => downstream[0]);
    await app.stop({ drainTimeoutMs: 2000 });
    expect(seen).toHaveLength(1);
    const [s] = seen;
    expect(s!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(s!.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(s!.flags).toBe(0);
    // Started as a root, the root sampler would have recorded it.
    expect(s!.childRecording).toBe(false);
    // The handler's publish continued the process span's trace, not sampled, as its traceparent says.
    expect(header).toMatch(new RegExp(`^00-${s!.traceId}-[0-9a-f]{16}-00$`));
    expect(otel.spans().map((x) => x.name)).toEqual([]);
  });

  it('the handler context reads what the message carried (baggage) and takes values of its own', async () => {
    const key = createContextKey('partita test value');
    const results: Record<string, unknown>[] = [];
    const { app } = memoryApp([
      defineHandler({
        name: 'ctx',
        topic: 'carried',
        handle() {
          const active = context.active();
          const span = trace.getSpan(active);
          const withValue = active.setValue(key, 42);
          results.push({
            baggage: propagation.getBaggage(active)?.getEntry('tenant')?.value,
            valueSet: withValue.getValue(key),
            spanKept: trace.getSpan(withValue) === span && span !== undefined,
            baggageKept: propagation.getBaggage(withValue)?.getEntry('tenant')?.value,
            original: active.getValue(key),
            deleted: withValue.deleteValue(key).getValue(key),
            spanDeleted: trace.getSpan(trace.deleteSpan(active)),
          });
        },
      }),
    ]);
    await app.start();
    await app.publish({ topic: 'carried', key: 'k', value: {}, headers: { baggage: 'tenant=acme' } });
    const [r] = await until('the handler', () => (results.length > 0 ? results : undefined));
    expect(r).toEqual({
      baggage: 'acme',
      valueSet: 42,
      spanKept: true,
      baggageKept: 'acme',
      original: undefined,
      deleted: undefined,
      spanDeleted: undefined,
    });
  });
});
