import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import { ATTR } from '../tracing/attributes.js';
import {
  DURATION_BOUNDARIES,
  DURATION_DESCRIPTION,
  DURATION_NAME,
  type LocalHistogram,
  type ProcessDurationProducer,
} from './process-duration-producer.js';

/** The consumed count of one attribute set (system, topic, group), reported at collection. */
export interface ConsumedTally {
  n: number;
  readonly attrs: Attributes;
}

/**
 * One lane's `messaging.process.duration` recorder: the attribute objects
 * are made once per lane (and once per `error.type`), and a record goes
 * either to the SDK histogram (one `record` with the cached attributes) or,
 * with a {@link ProcessDurationProducer}, to its plain-number buckets.
 */
export class LaneDurations {
  private readonly errors = new Map<string, Attributes | LocalHistogram>();
  private readonly ok: LocalHistogram | undefined;

  private constructor(
    readonly consumed: ConsumedTally,
    private readonly sdk: Histogram | undefined,
    private readonly producer: ProcessDurationProducer | undefined,
  ) {
    this.ok = producer?.histogram(keyOf(consumed.attrs), () => consumed.attrs);
  }

  /** A factory of lane recorders for one `otelMetrics()`: the SDK histogram is made only without a producer. */
  static factory(
    meter: Meter,
    producer: ProcessDurationProducer | undefined,
  ): (consumed: ConsumedTally) => LaneDurations {
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
    if (errorType === undefined) {
      if (this.ok !== undefined) this.ok.record(seconds);
      else this.sdk!.record(seconds, this.consumed.attrs);
      return;
    }
    let target = this.errors.get(errorType);
    if (target === undefined) {
      const attrs = { ...this.consumed.attrs, [ATTR.errorType]: errorType };
      target = this.producer !== undefined ? this.producer.histogram(keyOf(attrs), () => attrs) : attrs;
      this.errors.set(errorType, target);
    }
    if (this.producer !== undefined) (target as LocalHistogram).record(seconds);
    else this.sdk!.record(seconds, target as Attributes);
  }
}

const keyOf = (attrs: Attributes): string => JSON.stringify(Object.entries(attrs).sort());
