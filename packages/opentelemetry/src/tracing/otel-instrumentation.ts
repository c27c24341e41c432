import {
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type TextMapPropagator,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { AttemptInfo, AttemptLane, AttemptScope, Headers, Instrumentation, OutboundRecord } from '@partita/core';
import { ATTR, errorType } from './attributes.js';

/** Options of `otelInstrumentation`. */
export interface OtelInstrumentationOptions {
  /** @defaultValue the global tracer provider (`trace.getTracerProvider()`) */
  readonly tracerProvider?: TracerProvider;
  /** Injects and extracts the context in message headers. @defaultValue the global propagator (`propagation`) */
  readonly propagator?: TextMapPropagator;
}

const TRACER_NAME = '@partita/opentelemetry';

/**
 * Tracing for a partita app, following the OpenTelemetry messaging semantic
 * conventions (see packages/opentelemetry/README.md):
 * - a `send {topic}` PRODUCER span per publish (one per `transport.publish`
 *   batch), its context injected into every record's headers
 *   (`traceparent`/`tracestate` with the W3C propagator);
 * - a `process {topic}` CONSUMER span per handler attempt, child of the
 *   context in the record's headers, active while the handler runs (so the
 *   handler's own spans and publishes are its children), and carried to a
 *   worker thread in the message's headers (see `workerTracing`).
 * A publish with no active span (a retry copy, a dead-letter copy, a worker's
 * records) continues the trace in the record's own headers.
 */
export function otelInstrumentation(options: OtelInstrumentationOptions = {}): Instrumentation {
  let tracer: Tracer | undefined;
  const tracerOf = (): Tracer =>
    (tracer ??= (options.tracerProvider ?? trace.getTracerProvider()).getTracer(TRACER_NAME));
  const propagator = options.propagator;
  const inject = (ctx: Context, carrier: Headers): void =>
    propagator ? propagator.inject(ctx, carrier, defaultSetter) : propagation.inject(ctx, carrier);
  const extract = (headers: Readonly<Headers>): Context =>
    propagator ? propagator.extract(ROOT_CONTEXT, headers, defaultGetter) : propagation.extract(ROOT_CONTEXT, headers);

  const lanes = new WeakMap<object, ProcessSpanOptions>();
  const withSpan = spanSetter();

  return {
    publish(records, send, system) {
      const active = context.active();
      let parent = active;
      if (trace.getSpan(active) === undefined) {
        const carried = records.find((r) => r.headers.traceparent !== undefined);
        if (carried) parent = extract(carried.headers);
      }
      const topic = records.length > 0 && records.every((r) => r.topic === records[0]!.topic) ? records[0]!.topic : '';
      const span = tracerOf().startSpan(
        topic ? `send ${topic}` : 'send',
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            [ATTR.system]: system,
            [ATTR.operationType]: 'send',
            [ATTR.operationName]: 'send',
            ...(topic ? { [ATTR.destination]: topic } : {}),
            ...(records.length > 1 ? { [ATTR.batchCount]: records.length } : {}),
          },
        },
        parent,
      );
      const carrier: Headers = {};
      inject(trace.setSpan(parent, span), carrier);
      const out: readonly OutboundRecord[] =
        Object.keys(carrier).length === 0
          ? records
          : records.map((r) => ({ ...r, headers: { ...r.headers, ...carrier } }));
      let sent: Promise<void>;
      try {
        sent = send(out);
      } catch (err) {
        fail(span, err);
        throw err;
      }
      return sent.then(
        () => span.end(),
        (err: unknown) => {
          fail(span, err);
          throw err;
        },
      );
    },

    attempt(info: AttemptInfo): AttemptScope {
      let lane = lanes.get(info.lane);
      if (lane === undefined) lanes.set(info.lane, (lane = processSpanOptions(info.lane)));
      const parent = extract(info.headers);
      const span = tracerOf().startSpan(lane.name, lane.options, parent);
      // The message's own attributes only where something records them (one call each: an object spread
      // per message cost a sampled span more than the attributes themselves).
      if (span.isRecording()) {
        span.setAttribute(ATTR.messageId, info.id);
        if (info.system === 'kafka') span.setAttribute(ATTR.kafkaOffset, Number(info.offset));
        else span.setAttribute(ATTR.offset, info.offset);
        span.setAttribute(ATTR.attempt, info.attempt);
      }
      return new ProcessScope(span, withSpan(parent, span), info.worker ? inject : undefined);
    },
  };
}

interface ProcessSpanOptions {
  readonly name: string;
  readonly options: SpanOptions;
}

/**
 * A lane's `process` span name and options: made once per lane, the same
 * objects for each of its spans. A sampler sees the lane's attributes; the
 * message's own (id, offset, attempt) are set only on spans that record.
 */
function processSpanOptions(lane: AttemptLane): ProcessSpanOptions {
  return {
    name: `process ${lane.topic}`,
    options: {
      kind: SpanKind.CONSUMER,
      attributes: {
        [ATTR.system]: lane.system,
        [ATTR.operationType]: 'process',
        [ATTR.operationName]: 'process',
        [ATTR.destination]: lane.topic,
        [ATTR.group]: lane.group,
        [ATTR.partition]: String(lane.partition),
        [ATTR.handler]: lane.handler,
      },
    },
  };
}

/** One attempt's `process` span, active inside `run` (a class: no closures per attempt). */
class ProcessScope implements AttemptScope {
  readonly carry: Headers | undefined;
  private ended = false;
  constructor(
    private readonly span: Span,
    private readonly active: Context,
    inject: ((ctx: Context, carrier: Headers) => void) | undefined,
  ) {
    if (inject !== undefined) inject(this.active, (this.carry = {}));
  }
  run<T>(fn: () => T): T {
    return context.with(this.active, fn);
  }
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (error !== undefined) fail(this.span, error);
    else this.span.end();
  }
}

/**
 * `trace.setSpan` without its copy: `setSpan` makes a new context with a
 * copy of the parent's map (~0.1 µs, per message); a {@link SpanContext}
 * answers the span key itself and reads the rest from its parent. The key is
 * the one `trace.setSpan` writes (caught with a probe context once); if it
 * cannot be found or does not read back, `trace.setSpan` is used.
 */
function spanSetter(): (parent: Context, span: Span) => Context {
  let key: symbol | undefined;
  const probe: Context = {
    getValue: () => undefined,
    setValue: (k) => ((key = k), probe),
    deleteValue: () => probe,
  };
  const probeSpan = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
  trace.setSpan(probe, probeSpan);
  if (key === undefined || trace.getSpan(new SpanContext(ROOT_CONTEXT, key, probeSpan)) !== probeSpan)
    return (parent, span) => trace.setSpan(parent, span);
  const spanKey = key;
  return (parent, span) => new SpanContext(parent, spanKey, span);
}

/**
 * A context holding `span` over `parent`, as `trace.setSpan(parent, span)`
 * would, without copying the parent's values (a class: nothing per read).
 * Setting or deleting a value makes an ordinary context first.
 */
class SpanContext implements Context {
  private full: Context | undefined;
  constructor(
    private readonly parent: Context,
    private readonly key: symbol,
    private readonly span: Span,
  ) {}
  getValue(key: symbol): unknown {
    return key === this.key ? this.span : this.parent.getValue(key);
  }
  setValue(key: symbol, value: unknown): Context {
    return this.ordinary().setValue(key, value);
  }
  deleteValue(key: symbol): Context {
    return this.ordinary().deleteValue(key);
  }
  private ordinary(): Context {
    return (this.full ??= trace.setSpan(this.parent, this.span));
  }
}

/** Mark a span failed (`error.type`, status, exception event) and end it. */
function fail(span: Span, error: unknown): void {
  span.setAttribute(ATTR.errorType, errorType(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
  if (error instanceof Error) span.recordException(error);
  span.end();
}

const defaultSetter = {
  set(carrier: Headers, key: string, value: string): void {
    carrier[key] = value;
  },
};
const defaultGetter = {
  keys: (carrier: Readonly<Headers>): string[] => Object.keys(carrier),
  get: (carrier: Readonly<Headers>, key: string): string | undefined => carrier[key],
};
