// Test support: the OpenTelemetry SDK with an in-memory exporter, registered globally once per test file.
import { context, propagation, trace, type TextMapPropagator } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';

export interface SpanView {
  readonly name: string;
  readonly kind: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly status: number;
  readonly events: readonly string[];
}

export const view = (s: ReadableSpan): SpanView => ({
  name: s.name,
  kind: s.kind,
  traceId: s.spanContext().traceId,
  spanId: s.spanContext().spanId,
  parentSpanId: s.parentSpanContext?.spanId,
  attributes: s.attributes,
  status: s.status.code,
  events: s.events.map((e) => e.name),
});

/**
 * Register the SDK globally (tracer provider, AsyncLocalStorage context, W3C
 * propagator unless `propagator` is given); spans in `exporter`.
 */
export function installTracing(
  options: { sampled?: boolean; sampler?: Sampler; propagator?: TextMapPropagator } = {},
): {
  exporter: InMemorySpanExporter;
  spans: () => SpanView[];
  uninstall: () => void;
} {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    ...(options.sampled === false ? { sampler: new AlwaysOffSampler() } : {}),
    ...(options.sampler ? { sampler: options.sampler } : {}),
  });
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(options.propagator ?? new W3CTraceContextPropagator());
  return {
    exporter,
    spans: () => exporter.getFinishedSpans().map(view),
    uninstall: () => {
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** The one span matching `pred`, with a clear failure listing the spans seen. */
export function one(spans: readonly SpanView[], what: string, pred: (s: SpanView) => boolean): SpanView {
  const found = spans.filter(pred);
  if (found.length !== 1)
    throw new Error(`expected one span ${what}, found ${found.length} among: ${spans.map((s) => s.name).join(', ')}`);
  return found[0]!;
}

/** Polls `probe` every 20 ms until it returns a value; fails naming `what` after `ms`. */
export async function until<T>(what: string, probe: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
