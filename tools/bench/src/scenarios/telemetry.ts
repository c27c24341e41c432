/**
 * `npm run bench -- telemetry [count]`
 *
 * The `embedded` throughput workload (count small messages, default 500,000,
 * 4 partitions, no-op handler, key ordering, memory transport) four ways:
 * - off: no instrumentation;
 * - metrics: `otelMetrics()` on an SDK MeterProvider (counters, duration
 *   histogram) plus its observable instruments registered, the duration
 *   histogram through `processDurationProducer()` given to the reader (the
 *   documented fast set-up);
 * - metrics-sdk: the same with the duration histogram as an SDK instrument
 *   (one `Histogram.record` per attempt);
 * - traces-unsampled: `otelInstrumentation()` with an SDK tracer provider whose
 *   sampler samples nothing (spans are non-recording, context still propagates);
 * - traces-sampled: 100 % sampling, spans batched to an exporter that drops them.
 * Rounds interleave the variants; the best of each is kept, with the
 * process CPU time per message of every round (less sensitive to other
 * processes on the machine than the rate; `cpu <variant>/off` ratios).
 * Targets: metrics/off ≥ 0.9, traces-unsampled/off ≥ 0.9; metrics-sdk/off and traces-sampled/off reported.
 *
 * `--breakdown` adds two variants that split the cost of tracing
 * (docs/architecture.md decision 55): `hook-noop`, an attempt hook doing
 * nothing (the runtime's part), and `hook-als`, a hook whose scope runs the
 * handler in `context.with` of one constant context on the AsyncLocalStorage
 * context manager (AsyncLocalStorage and Node's promise hooks, without
 * spans).
 */
import { INVALID_SPAN_CONTEXT, ROOT_CONTEXT, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import {
  createConsoleLogger,
  createApp,
  defineHandler,
  jsonCodec,
  type AttemptScope,
  type Instrumentation,
} from '@partita/core';
import { createMemoryBroker, memoryTransport, type MemoryBroker } from '@partita/memory';
import { otelInstrumentation, otelMetrics, processDurationProducer } from '@partita/opentelemetry';
import { startMeasure } from '../paired-rounds.js';
import { rssMb, writeReport, type BenchRow } from '../report.js';

const silent = createConsoleLogger({ level: 'silent' });
type Variant = 'off' | 'metrics' | 'metrics-sdk' | 'traces-unsampled' | 'traces-sampled' | 'hook-noop' | 'hook-als';
const MAIN: readonly Variant[] = ['off', 'metrics', 'metrics-sdk', 'traces-unsampled', 'traces-sampled'];
const BREAKDOWN: readonly Variant[] = ['hook-noop', 'hook-als'];

class IdleReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}
const dropping: SpanExporter = { export: (_spans, done) => done({ code: 0 }), shutdown: () => Promise.resolve() };

async function fill(broker: MemoryBroker, topic: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 10_000) {
    const records = [];
    for (let j = i; j < Math.min(count, i + 10_000); j++)
      records.push({
        topic,
        key: `k-${j % 1000}`,
        value: jsonCodec.encode({ i: j, amount: j % 100 }),
        headers: { 'content-type': 'application/json' },
      });
    await broker.publish(records);
  }
}

/** Install the variant's SDK globally; returns the app instrumentation and a teardown. */
function install(variant: Variant): {
  instrumentation: Instrumentation[];
  observe?: ReturnType<typeof otelMetrics>;
  teardown: () => Promise<void>;
} {
  trace.disable();
  context.disable();
  propagation.disable();
  if (variant === 'off') return { instrumentation: [], teardown: async () => {} };
  if (variant === 'hook-noop' || variant === 'hook-als') {
    let scope: AttemptScope = { end: () => {} };
    if (variant === 'hook-als') {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      const constant = trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
      scope = { run: (fn) => context.with(constant, fn), end: () => {} };
    }
    return { instrumentation: [{ attempt: () => scope }], teardown: async () => {} };
  }
  if (variant === 'metrics') {
    const durations = processDurationProducer();
    const provider = new MeterProvider({ readers: [new IdleReader({ metricProducers: [durations] })] });
    const m = otelMetrics({ meterProvider: provider, durations });
    return { instrumentation: [m], observe: m, teardown: () => provider.shutdown() };
  }
  if (variant === 'metrics-sdk') {
    const provider = new MeterProvider({ readers: [new IdleReader()] });
    const m = otelMetrics({ meterProvider: provider });
    return { instrumentation: [m], observe: m, teardown: () => provider.shutdown() };
  }
  const provider = new BasicTracerProvider({
    sampler: variant === 'traces-sampled' ? new AlwaysOnSampler() : new AlwaysOffSampler(),
    spanProcessors: [new BatchSpanProcessor(dropping, { maxQueueSize: 65_536, maxExportBatchSize: 4096 })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return { instrumentation: [otelInstrumentation()], teardown: () => provider.shutdown() };
}

/** One run on a topic of its own, filled first (the broker frees what every group of a topic committed past). */
async function runOnce(
  broker: MemoryBroker,
  topic: string,
  count: number,
  variant: Variant,
  group: string,
): Promise<{ rate: number; cpuUs: number }> {
  await fill(broker, topic, count);
  let handled = 0;
  const setup = install(variant);
  const app = createApp({
    transport: memoryTransport(broker),
    logger: silent,
    instrumentation: setup.instrumentation,
    handlers: [
      defineHandler({
        name: group,
        topic,
        ordering: 'key',
        handle: () => {
          handled++;
          return Promise.resolve();
        },
      }),
    ],
  });
  const unobserve = setup.observe?.observe(app);
  const stop = startMeasure();
  await app.start();
  while (handled < count) await new Promise((r) => setImmediate(r));
  const { msgsPerSec: rate, cpuUsPerMsg: cpuUs } = stop(count);
  await app.stop();
  unobserve?.();
  await setup.teardown();
  console.log(`${variant} (${group}): ${Math.round(rate)} msg/s, ${cpuUs.toFixed(2)} µs CPU/msg`);
  return { rate, cpuUs };
}

export async function run(args: string[]): Promise<void> {
  const numbers = args.filter((a) => !a.startsWith('--'));
  const count = Number(numbers[0] ?? 500_000);
  const rounds = Number(numbers[1] ?? 3);
  const breakdown = args.includes('--breakdown');
  const variants = breakdown ? [...MAIN, ...BREAKDOWN] : MAIN;
  const broker = createMemoryBroker({ defaultPartitions: 4, maxBytes: 2 ** 31 });
  for (const v of variants) await runOnce(broker, `warm-${v}`, 50_000, v, `warm-${v}`);
  const best = Object.fromEntries(variants.map((v) => [v, 0])) as Record<Variant, number>;
  const cpuUs = Object.fromEntries(variants.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
  for (let round = 0; round < rounds; round++)
    for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
      const r = await runOnce(broker, `bench-${v}-${round}`, count, v, `${v}-${round}`);
      best[v] = Math.max(best[v], r.rate);
      cpuUs[v].push(Number(r.cpuUs.toFixed(2)));
    }
  await broker.close();
  const cpuRatio = (v: Variant): number => Math.min(...cpuUs.off) / Math.min(...cpuUs[v]);
  const rows: BenchRow[] = variants.map((v) => ({
    name: v,
    msgsPerSec: Math.round(best[v]),
    p50Ms: null,
    p99Ms: null,
    rssMb: rssMb(),
    messages: count,
    partitions: 4,
    ordering: 'key',
    rounds,
    cpuUsPerMsg: cpuUs[v],
  }));
  writeReport({
    scenario: 'telemetry',
    results: rows,
    ratios: {
      'metrics/off': best.metrics / best.off,
      'metrics-sdk/off': best['metrics-sdk'] / best.off,
      'traces-unsampled/off': best['traces-unsampled'] / best.off,
      'traces-sampled/off': best['traces-sampled'] / best.off,
      // The same from CPU time (least CPU per message of off over the variant's): less sensitive to a loaded machine.
      'cpu metrics/off': cpuRatio('metrics'),
      'cpu metrics-sdk/off': cpuRatio('metrics-sdk'),
      'cpu traces-unsampled/off': cpuRatio('traces-unsampled'),
      'cpu traces-sampled/off': cpuRatio('traces-sampled'),
      ...(breakdown ? { 'cpu hook-noop/off': cpuRatio('hook-noop'), 'cpu hook-als/off': cpuRatio('hook-als') } : {}),
    },
    targets: {
      'metrics/off': '≥ 0.9',
      'metrics-sdk/off': 'reported',
      'traces-unsampled/off': '≥ 0.9',
      'traces-sampled/off': 'reported',
      'cpu metrics/off': 'reported',
      'cpu metrics-sdk/off': 'reported',
      'cpu traces-unsampled/off': 'reported',
      'cpu traces-sampled/off': 'reported',
      ...(breakdown ? { 'cpu hook-noop/off': 'reported', 'cpu hook-als/off': 'reported' } : {}),
    },
  });
}
