import { diag, DiagLogLevel } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
  type HistogramMetricData,
  type MetricProducer,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { createApp, createConsoleLogger, defineHandler, NonRetryableError } from '@partita/core';
import { createMemoryBroker, memoryTransport } from '@partita/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { otelMetrics, processDurationProducer } from '../index.js';

/** A reader the test collects from on demand. */
class OnDemandReader extends MetricReader {
  constructor(metricProducers?: MetricProducer[]) {
    super({
      aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE,
      ...(metricProducers ? { metricProducers } : {}),
    });
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

interface Point {
  attributes: Record<string, unknown>;
  value: unknown;
}
async function points(reader: OnDemandReader): Promise<Map<string, Point[]>> {
  const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics };
  const out = new Map<string, Point[]>();
  for (const scope of resourceMetrics.scopeMetrics)
    for (const m of scope.metrics)
      out.set(
        m.descriptor.name,
        m.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })),
      );
  return out;
}
const sum = (ps: Point[] | undefined): number => (ps ?? []).reduce((n, p) => n + Number(p.value), 0);

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('otelMetrics', () => {
  it('counts sent and consumed messages, records durations, observes lag, in-flight and dead letters by reason', async () => {
    const reader = new OnDemandReader();
    const provider = new MeterProvider({ readers: [reader] });
    const telemetry = otelMetrics({ meterProvider: provider });
    const broker = createMemoryBroker({ defaultPartitions: 2 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const app = createApp({
      transport: memoryTransport(broker),
      logger: createConsoleLogger({ level: 'silent' }),
      instrumentation: [telemetry],
      handlers: [
        defineHandler<{ n: number }>({
          name: 'm',
          topic: 'metered',
          async handle(msg) {
            await gate;
            if (msg.value.n % 5 === 0) throw new NonRetryableError('bad');
          },
        }),
      ],
    });
    const unobserve = telemetry.observe(app);
    cleanup.push(
      () => provider.shutdown(),
      () => broker.close(),
      () => app.stop({ drainTimeoutMs: 1000 }),
      async () => unobserve(),
    );
    await app.start();
    await app.publish(Array.from({ length: 20 }, (_, n) => ({ topic: 'metered', key: `k${n}`, value: { n } })));

    const backlog = await until('lag and in-flight observed', async () => {
      const p = await points(reader);
      return sum(p.get('messaging.partita.consumer.lag')) === 20 && sum(p.get('partita.messages.in_flight')) > 0
        ? p
        : undefined;
    });
    expect(sum(backlog.get('messaging.client.sent.messages'))).toBe(20);
    expect(backlog.get('messaging.client.sent.messages')![0]!.attributes).toEqual({
      'messaging.system': 'memory',
      'messaging.destination.name': 'metered',
      'messaging.operation.name': 'send',
    });
    for (const p of backlog.get('messaging.partita.consumer.lag')!)
      expect(Object.keys(p.attributes).sort()).toEqual([
        'messaging.consumer.group.name',
        'messaging.destination.name',
        'messaging.destination.partition.id',
      ]);

    release();
    const after = await until('all settled', async () => {
      const p = await points(reader);
      return sum(p.get('messaging.partita.consumer.lag')) === 0 &&
        sum(p.get('partita.messages.dead_lettered')) === 4 &&
        sum(p.get('messaging.client.sent.messages')) === 24
        ? p
        : undefined;
    });
    expect(sum(after.get('messaging.client.consumed.messages'))).toBe(20);
    expect(after.get('partita.messages.dead_lettered')![0]!.attributes).toEqual({ reason: 'non-retryable' });
    const hist = after.get('messaging.process.duration')!;
    const counts = hist.map((p) => ({
      error: p.attributes['error.type'],
      count: (p.value as { count: number }).count,
    }));
    expect(counts.find((c) => c.error === undefined)?.count).toBe(16);
    expect(counts.find((c) => c.error === 'NonRetryableError')?.count).toBe(4);
    expect(after.get('partita.lane.state')!.map((p) => p.attributes['partita.lane.state'])).toEqual([
      'running',
      'running',
    ]);
    expect(after.has('nodejs.eventloop.delay.p99')).toBe(true);
  });

  it('with a duration producer: the same messaging.process.duration histogram, aggregated in plain numbers, once', async () => {
    const durations = processDurationProducer();
    const reader = new OnDemandReader([durations]);
    const provider = new MeterProvider({ readers: [reader] });
    const telemetry = otelMetrics({ meterProvider: provider, durations, eventLoopDelay: false });
    const broker = createMemoryBroker({ defaultPartitions: 2 });
    let handled = 0;
    const app = createApp({
      transport: memoryTransport(broker),
      logger: createConsoleLogger({ level: 'silent' }),
      instrumentation: [telemetry],
      handlers: [
        defineHandler<{ n: number }>({
          name: 'p',
          topic: 'produced',
          async handle(msg) {
            // One attempt spans event-loop turns (durations have turn resolution: still measured).
            if (msg.value.n === 1) await new Promise((r) => setTimeout(r, 30));
            handled++;
            if (msg.value.n % 4 === 0) throw new NonRetryableError('bad');
          },
        }),
      ],
    });
    cleanup.push(
      () => provider.shutdown(),
      () => broker.close(),
      () => app.stop({ drainTimeoutMs: 1000 }),
    );
    await app.start();
    await app.publish(Array.from({ length: 12 }, (_, n) => ({ topic: 'produced', key: `k${n}`, value: { n } })));
    await until('all handled', () => Promise.resolve(handled === 12 ? true : undefined));

    const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics };
    const found = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .filter((m) => m.descriptor.name === 'messaging.process.duration') as HistogramMetricData[];
    expect(found).toHaveLength(1);
    const metric = found[0]!;
    expect(metric.descriptor.unit).toBe('s');
    expect(metric.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(metric.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    const base = {
      'messaging.system': 'memory',
      'messaging.destination.name': 'produced',
      'messaging.consumer.group.name': 'p',
      'messaging.operation.name': 'process',
    };
    const ok = metric.dataPoints.find((p) => p.attributes['error.type'] === undefined)!;
    const failed = metric.dataPoints.find((p) => p.attributes['error.type'] === 'NonRetryableError')!;
    expect(ok.attributes).toEqual(base);
    expect(failed.attributes).toEqual({ ...base, 'error.type': 'NonRetryableError' });
    expect([ok.value.count, failed.value.count]).toEqual([9, 3]);
    expect(ok.value.max).toBeGreaterThanOrEqual(0.02);
    expect(ok.value.sum).toBeGreaterThanOrEqual(0.02);
    expect(ok.value.buckets.counts.slice(3).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    for (const p of [ok, failed]) {
      expect(p.value.buckets.boundaries).toEqual([0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
      expect(p.value.buckets.counts.reduce((a, b) => a + b, 0)).toBe(p.value.count);
      expect(p.value.sum).toBeGreaterThanOrEqual(0);
      expect(p.value.min).toBeLessThanOrEqual(p.value.max!);
    }
  });

  it('warns once through diag when the duration producer was given to no reader', async () => {
    const warnings: string[] = [];
    const record = (msg: string): void => void warnings.push(msg);
    const ignore = (): void => {};
    diag.setLogger({ error: ignore, warn: record, info: ignore, debug: ignore, verbose: ignore }, DiagLogLevel.WARN);
    cleanup.push(async () => diag.disable());
    const check = async (durations: ReturnType<typeof processDurationProducer>, readerProducers: MetricProducer[]) => {
      const reader = new OnDemandReader(readerProducers);
      const provider = new MeterProvider({ readers: [reader] });
      cleanup.push(() => provider.shutdown());
      otelMetrics({ meterProvider: provider, durations, eventLoopDelay: false });
      for (let i = 0; i < 3; i++) await reader.collect();
    };
    const given = processDurationProducer();
    await check(given, [given]);
    expect(warnings).toEqual([]);
    await check(processDurationProducer(), []);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('metricProducers: [durations]');
  });

  it('a delta duration producer reports what was recorded since the previous collection', async () => {
    const durations = processDurationProducer({ temporality: 'delta' });
    const reader = new OnDemandReader([durations]);
    const provider = new MeterProvider({ readers: [reader] });
    const telemetry = otelMetrics({ meterProvider: provider, durations, eventLoopDelay: false });
    const broker = createMemoryBroker({ defaultPartitions: 1 });
    let handled = 0;
    const app = createApp({
      transport: memoryTransport(broker),
      logger: createConsoleLogger({ level: 'silent' }),
      instrumentation: [telemetry],
      handlers: [defineHandler({ name: 'd', topic: 'delta', handle: () => void handled++ })],
    });
    cleanup.push(
      () => provider.shutdown(),
      () => broker.close(),
      () => app.stop({ drainTimeoutMs: 1000 }),
    );
    const histogram = async (): Promise<HistogramMetricData | undefined> => {
      const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics };
      return resourceMetrics.scopeMetrics
        .flatMap((s) => s.metrics)
        .find((m) => m.descriptor.name === 'messaging.process.duration') as HistogramMetricData | undefined;
    };
    await app.start();
    await app.publish(Array.from({ length: 3 }, (_, n) => ({ topic: 'delta', key: `k${n}`, value: {} })));
    await until('three handled', () => Promise.resolve(handled === 3 ? true : undefined));
    const first = await histogram();
    expect(first?.aggregationTemporality).toBe(AggregationTemporality.DELTA);
    expect(first?.dataPoints.map((p) => p.value.count)).toEqual([3]);
    await app.publish(Array.from({ length: 2 }, (_, n) => ({ topic: 'delta', key: `j${n}`, value: {} })));
    await until('five handled', () => Promise.resolve(handled === 5 ? true : undefined));
    const second = await histogram();
    expect(second?.dataPoints.map((p) => p.value.count)).toEqual([2]);
    expect(second!.dataPoints[0]!.startTime).toEqual(first!.dataPoints[0]!.endTime);
    expect((await histogram())?.dataPoints ?? []).toEqual([]);
    expect(() => processDurationProducer({ temporality: 'weekly' as 'delta' })).toThrow(/option "temporality"/);
  });
});
