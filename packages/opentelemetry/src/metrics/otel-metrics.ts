import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { diag, metrics, type Attributes, type Meter, type MeterProvider } from '@opentelemetry/api';
import type { App, AttemptInfo, AttemptScope, Instrumentation } from '@partita/core';
import { ATTR, errorType } from '../tracing/attributes.js';
import { LaneDurations, type Tally } from './lane-durations.js';
import type { ProcessDurationProducer } from './process-duration-producer.js';
import { TurnTime } from './turn-time.js';

/** Options of `otelMetrics`. */
export interface OtelMetricsOptions {
  /** @defaultValue the global meter provider (`metrics.getMeterProvider()`) */
  readonly meterProvider?: MeterProvider;
  /** Report `nodejs.eventloop.delay.*` (a `monitorEventLoopDelay` histogram). @defaultValue true */
  readonly eventLoopDelay?: boolean;
  /**
   * Aggregate `messaging.process.duration` here and export it through this
   * producer (`processDurationProducer()`, also given to your reader's
   * `metricProducers`) instead of one SDK `Histogram.record` per attempt,
   * which costs about a microsecond (it hashes its attributes every call).
   * @defaultValue undefined: the SDK histogram
   */
  readonly durations?: ProcessDurationProducer;
}

/** `otelMetrics()`: an instrumentation for `createApp`, then `observe(app)` for the gauges read from the app. */
export interface OtelMetrics extends Instrumentation {
  /** Register the observable instruments that read `app.inspect()` and `app.health()`. Returns an unregister function. */
  observe(app: App): () => void;
}

/**
 * partita's metrics through the OpenTelemetry metrics API (names and
 * attributes in packages/opentelemetry/README.md). Counters and the duration
 * histogram are recorded by the publish and attempt hooks; gauges (in-flight,
 * lane state, consumer lag, worker pool, event-loop delay) and the app's own
 * counters (retries, dead letters by reason) are observed at collection time
 * from `app.inspect()`/`app.health()`, costing nothing per message.
 * Attributes are bounded: system, topic, group, partition, reason, state; never a key.
 */
export function otelMetrics(options: OtelMetricsOptions = {}): OtelMetrics {
  const meter: Meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter('@partita/opentelemetry');
  const durations = LaneDurations.factory(meter, options.durations, new TurnTime());
  // Counters are counted here in plain numbers per (bounded) attribute set and
  // reported at collection: a synchronous `add` per message would hash its attributes every time.
  const sent = new Map<string, Tally>();
  const consumed = new Map<string, Tally>();
  const sentCounter = meter.createObservableCounter('messaging.client.sent.messages', {
    description: 'Messages a producer attempted to send (error.type set when the broker refused them).',
    unit: '{message}',
  });
  const consumedCounter = meter.createObservableCounter('messaging.client.consumed.messages', {
    description: 'Messages delivered to handlers (first attempts).',
    unit: '{message}',
  });
  sentCounter.addCallback((r) => {
    for (const t of sent.values()) r.observe(t.n, t.attrs);
  });
  const unexported = producerCheck(options.durations);
  consumedCounter.addCallback((r) => {
    unexported();
    for (const t of consumed.values()) r.observe(t.n, t.attrs);
  });
  const tally = (map: Map<string, Tally>, key: string, attrs: () => Attributes): Tally => {
    let t = map.get(key);
    if (t === undefined) map.set(key, (t = { n: 0, attrs: attrs() }));
    return t;
  };

  const lanes = new WeakMap<object, LaneDurations>();

  return {
    publish(records, send, system) {
      return send(records).then(
        () => {
          for (const r of records) tally(sent, `${system}\u0000${r.topic}`, () => sendAttrs(system, r.topic)).n++;
        },
        (err: unknown) => {
          const type = errorType(err);
          for (const r of records)
            tally(sent, `${system}\u0000${r.topic}\u0000${type}`, () => ({
              ...sendAttrs(system, r.topic),
              [ATTR.errorType]: type,
            })).n++;
          throw err;
        },
      );
    },
    attempt(info: AttemptInfo): AttemptScope {
      // Per lane (info.lane keeps its identity): the consumed tally and the duration histogram, no key per message.
      let lane = lanes.get(info.lane);
      if (lane === undefined) {
        const l = info.lane;
        const counted = tally(consumed, `${l.system}\u0000${l.topic}\u0000${l.group}`, () => ({
          [ATTR.system]: l.system,
          [ATTR.destination]: l.topic,
          [ATTR.group]: l.group,
          [ATTR.operationName]: 'process',
        }));
        lanes.set(l, (lane = durations(counted)));
      }
      if (info.attempt === 1) lane.consumed.n++;
      return lane.begin();
    },
    observe: (app) => observeApp(meter, app, options.eventLoopDelay ?? true),
  };
}

/**
 * A duration producer given to `otelMetrics` but to no reader is never
 * collected, and `messaging.process.duration` silently goes missing: called
 * at each collection of the meter, this warns once (through the OpenTelemetry
 * `diag` logger) when the meter was collected twice and the producer never.
 */
function producerCheck(producer: ProcessDurationProducer | undefined): () => void {
  if (producer === undefined) return () => {};
  let collections = 0;
  let warned = false;
  return () => {
    if (warned || ++collections < 2 || producer.collections > 0) return;
    warned = true;
    diag.warn(
      '@partita/opentelemetry: the processDurationProducer() given to otelMetrics({ durations }) was never collected, so messaging.process.duration is not exported: give it to your reader too (metricProducers: [durations])',
    );
  };
}

const sendAttrs = (system: string, topic: string): Attributes => ({
  [ATTR.system]: system,
  [ATTR.destination]: topic,
  [ATTR.operationName]: 'send',
});

/** The observable instruments; one batch callback reads the app once per collection. */
function observeApp(meter: Meter, app: App, eventLoop: boolean): () => void {
  const retried = meter.createObservableCounter('partita.messages.retried', {
    description: 'Retries scheduled.',
    unit: '{message}',
  });
  const failed = meter.createObservableCounter('partita.messages.failed', {
    description: 'Handler attempts that failed.',
    unit: '{message}',
  });
  const deadLettered = meter.createObservableCounter('partita.messages.dead_lettered', {
    description: 'Messages dead-lettered, by reason.',
    unit: '{message}',
  });
  const inFlight = meter.createObservableUpDownCounter('partita.messages.in_flight', {
    description: 'Handler attempts running now.',
    unit: '{message}',
  });
  const laneState = meter.createObservableGauge('partita.lane.state', {
    description: "1 for each lane's current mode.",
  });
  const lag = meter.createObservableGauge('messaging.partita.consumer.lag', {
    description: "Records in the broker past the group's committed position, per owned lane.",
    unit: '{message}',
  });
  const utilization = meter.createObservableGauge('partita.worker_pool.utilization', {
    description: 'Share of worker-thread time spent in handlers, 0..1.',
    unit: '1',
  });
  const queue = meter.createObservableGauge('partita.worker_pool.queue', {
    description: 'Tasks waiting for a worker thread.',
    unit: '{task}',
  });
  const observables = [retried, failed, deadLettered, inFlight, laneState, lag, utilization, queue];
  let histogram: IntervalHistogram | undefined;
  if (eventLoop) {
    histogram = monitorEventLoopDelay({ resolution: 20 });
    histogram.enable();
    const delay = meter.createObservableGauge('nodejs.eventloop.delay.p99', {
      description: 'Event-loop delay, 99th percentile over the last collection interval.',
      unit: 's',
    });
    const h = histogram;
    delay.addCallback((r) => {
      r.observe(h.percentile(99) / 1e9);
      h.reset();
    });
  }

  const callback = async (r: import('@opentelemetry/api').BatchObservableResult): Promise<void> => {
    const snapshot = app.inspect();
    const m = snapshot.metrics;
    r.observe(retried, m.retried);
    r.observe(failed, m.failed);
    for (const [reason, n] of Object.entries(m.deadLetteredByReason)) r.observe(deadLettered, n, { reason });
    r.observe(inFlight, m.inFlight);
    for (const l of snapshot.lanes) {
      if (l.state === 'stopped') continue;
      r.observe(laneState, 1, {
        [ATTR.group]: l.group,
        [ATTR.destination]: l.topic,
        [ATTR.partition]: String(l.partition),
        'partita.lane.state': l.state.split('.')[0]!,
      });
    }
    const e = snapshot.executor;
    if (e && typeof e.utilization === 'number') r.observe(utilization, e.utilization);
    if (e && typeof e.queueDepth === 'number') r.observe(queue, e.queueDepth);
    if (snapshot.state !== 'running') return;
    const health = await app.health();
    const rows = (health.details as { transport?: { lanes?: unknown } } | undefined)?.transport?.lanes;
    if (Array.isArray(rows))
      for (const row of rows as { group?: unknown; topic?: unknown; partition?: unknown; lag?: unknown }[])
        if (typeof row.lag === 'number' && typeof row.group === 'string' && typeof row.topic === 'string')
          r.observe(lag, row.lag, {
            [ATTR.group]: row.group,
            [ATTR.destination]: row.topic,
            [ATTR.partition]: typeof row.partition === 'number' ? String(row.partition) : '',
          });
  };
  meter.addBatchObservableCallback(callback, observables);
  return () => {
    meter.removeBatchObservableCallback(callback, observables);
    histogram?.disable();
  };
}
