import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import { ATTR } from '../tracing/attributes.js';
import {
  DURATION_BOUNDARIES,
  DURATION_DESCRIPTION,
  DURATION_NAME,
  type ProcessDurationProducer,
} from './process-duration-producer.js';

/** A count of one (bounded) attribute set, kept in a plain number and reported at collection. */
export interface Tally {
  n: number;
  readonly attrs: Attributes;
}

/** Where the durations of one attribute set go: a plain-number histogram, or the SDK's with cached attributes. */
interface DurationSink {
  record(seconds: number): void;
}

/**
 * One lane's `messaging.process.duration` recorder: the attribute objects
 * are made once per lane (and once per `error.type`), and a record goes
 * either to the SDK histogram (one `record` with the cached attributes) or,
 * with a {@link ProcessDurationProducer}, to its plain-number buckets.
 */
export class LaneDurations {
  private readonly errors = new Map<string, DurationSink>();
  private readonly ok: DurationSink;

  private constructor(
    /** The lane's consumed count; its attributes are the duration's (without `error.type`). */
    readonly consumed: Tally,
    private readonly sdk: Histogram | undefined,
    private readonly producer: ProcessDurationProducer | undefined,
  ) {
    this.ok = this.sink(consumed.attrs);
  }

  /** A factory of lane recorders for one `otelMetrics()`: the SDK histogram is made only without a producer. */
  static factory(meter: Meter, producer: ProcessDurationProducer | undefined): (consumed: Tally) => LaneDurations {
    const sdk =
      producer === undefined
        ? meter.createHistogram(DURATION_NAME, {
            description: DURATION_DESCRIPTION,
            unit: 's',
            advice: { explicitBucketBoundaries: [...DURATION_BOUNDARIES] },
          })
        : undefined;
    return (consumed) => new LaneDurations(consumed, sdk, producer);
  }

  record(seconds: number, errorType: string | undefined): void {
    if (errorType === undefined) return this.ok.record(seconds);
    let sink = this.errors.get(errorType);
    if (sink === undefined)
      this.errors.set(errorType, (sink = this.sink({ ...this.consumed.attrs, [ATTR.errorType]: errorType })));
    sink.record(seconds);
  }

  private sink(attrs: Attributes): DurationSink {
    if (this.producer !== undefined) return this.producer.histogram(keyOf(attrs), () => attrs);
    const sdk = this.sdk!;
    return { record: (seconds) => sdk.record(seconds, attrs) };
  }
}

const keyOf = (attrs: Attributes): string => JSON.stringify(Object.entries(attrs).sort());
