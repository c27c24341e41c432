import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { ConfigError } from '@partita/core';
import type {
  AggregationTemporality,
  CollectionResult,
  DataPointType,
  MetricProducer,
  ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

/** Bucket boundaries (seconds) of `messaging.process.duration`: 1 ms … 10 s. */
export const DURATION_BOUNDARIES: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const DURATION_NAME = 'messaging.process.duration';
export const DURATION_DESCRIPTION = 'Duration of a handler attempt.';

/** One attribute set's explicit-bucket histogram, kept in plain numbers (what the SDK's aggregation keeps). */
export class LocalHistogram {
  readonly counts: number[] = new Array<number>(DURATION_BOUNDARIES.length + 1).fill(0);
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  constructor(readonly attributes: Attributes) {}

  /** Record one value (seconds). A value equal to a boundary falls in that boundary's bucket, as in the SDK. */
  record(value: number): void {
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    let i = 0;
    while (i < DURATION_BOUNDARIES.length && value > DURATION_BOUNDARIES[i]!) i++;
    this.counts[i]!++;
  }

  /** Forget what was recorded (a delta producer, after a collection). */
  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }
}

/** Options of `processDurationProducer`. */
export interface ProcessDurationProducerOptions {
  /**
   * `cumulative`: each point counts from the producer's creation. `delta`:
   * each collection reports what was recorded since the previous one and
   * forgets it, for a reader whose exporter prefers delta; give a delta
   * producer to one reader only (two would split the records between them).
   * A `MetricProducer` is not told the reader's preference, so this says it.
   * @defaultValue 'cumulative'
   */
  readonly temporality?: 'cumulative' | 'delta';
}

/**
 * `messaging.process.duration` aggregated in partita and handed to an SDK
 * `MetricReader` as a `MetricProducer` (`metricProducers: [producer]`), so
 * an attempt costs a bucket increment rather than a synchronous
 * `Histogram.record` (which hashes its attributes on every call). Same name,
 * unit, boundaries and attributes as the SDK instrument; the points are
 * cumulative from the producer's creation, or deltas since the previous
 * collection with `temporality: 'delta'`, whatever temporality the reader
 * prefers. Pass the same producer to `otelMetrics({ durations })`.
 */
export class ProcessDurationProducer implements MetricProducer {
  private readonly histograms = new Map<string, LocalHistogram>();
  private start: HrTime = hrNow();
  private collected = 0;
  private readonly delta: boolean;

  constructor(options: ProcessDurationProducerOptions = {}) {
    const t = options.temporality ?? 'cumulative';
    if (t !== 'cumulative' && t !== 'delta')
      throw new ConfigError(
        `processDurationProducer: option "temporality" must be 'cumulative' or 'delta' (got ${JSON.stringify(t)}): 'delta' for a reader whose exporter prefers delta, else leave it out`,
      );
    this.delta = t === 'delta';
  }

  /** How many times a reader collected this producer (0: it was given to no reader). */
  get collections(): number {
    return this.collected;
  }

  /** The histogram of one attribute set (`key` identifies the set), made on first use. */
  histogram(key: string, attributes: () => Attributes): LocalHistogram {
    let h = this.histograms.get(key);
    if (h === undefined) this.histograms.set(key, (h = new LocalHistogram(attributes())));
    return h;
  }

  collect(): Promise<CollectionResult> {
    this.collected++;
    const end = hrNow();
    const dataPoints = [...this.histograms.values()]
      .filter((h) => h.count > 0)
      .map((h) => ({
        attributes: h.attributes,
        startTime: this.start,
        endTime: end,
        value: {
          buckets: { boundaries: [...DURATION_BOUNDARIES], counts: [...h.counts] },
          count: h.count,
          sum: h.sum,
          min: h.min,
          max: h.max,
        },
      }));
    if (this.delta) {
      for (const h of this.histograms.values()) h.reset();
      this.start = end;
    }
    const resourceMetrics = {
      // A MetricReader keeps its SDK's resource and takes only the scope metrics of a producer.
      resource: { attributes: {} },
      scopeMetrics:
        dataPoints.length === 0
          ? []
          : [
              {
                scope: { name: '@partita/opentelemetry' },
                metrics: [
                  {
                    descriptor: {
                      name: DURATION_NAME,
                      description: DURATION_DESCRIPTION,
                      unit: 's',
                      valueType: ValueType.DOUBLE,
                      advice: { explicitBucketBoundaries: [...DURATION_BOUNDARIES] },
                    },
                    aggregationTemporality: (this.delta ? 0 : 1) as AggregationTemporality,
                    dataPointType: 0 as DataPointType.HISTOGRAM,
                    dataPoints,
                  },
                ],
              },
            ],
    } as unknown as ResourceMetrics;
    return Promise.resolve({ resourceMetrics, errors: [] });
  }
}

/**
 * A `MetricProducer` for `messaging.process.duration` (see
 * {@link ProcessDurationProducer}): give it to your reader and to `otelMetrics`.
 *
 * @example
 *   const durations = processDurationProducer();
 *   const provider = new MeterProvider({ readers: [new PrometheusExporter({ metricProducers: [durations] })] });
 *   const telemetry = otelMetrics({ meterProvider: provider, durations });
 */
export function processDurationProducer(options: ProcessDurationProducerOptions = {}): ProcessDurationProducer {
  return new ProcessDurationProducer(options);
}

function hrNow(): HrTime {
  const ms = Date.now();
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
}
