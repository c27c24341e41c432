import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import type { AttemptScope } from '@partita/core';
import { ATTR, errorType } from '../tracing/attributes.js';
import {
  DURATION_BOUNDARIES,
  DURATION_DESCRIPTION,
  DURATION_NAME,
  type ProcessDurationProducer,
} from './process-duration-producer.js';
import type { TurnTime } from './turn-time.js';

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
 * Durations have turn resolution ({@link TurnTime}), so the attempts a lane
 * begins in one event-loop turn share one scope: no object per attempt.
 */
export class LaneDurations {
  private readonly errors = new Map<string, DurationSink>();
  private readonly ok: DurationSink;
  private current: DurationScope | undefined;

  private constructor(
    /** The lane's consumed count; its attributes are the duration's (without `error.type`). */
    readonly consumed: Tally,
    private readonly sdk: Histogram | undefined,
    private readonly producer: ProcessDurationProducer | undefined,
    private readonly clock: TurnTime,
  ) {
    this.ok = this.sink(consumed.attrs);
  }

  /** A factory of lane recorders for one `otelMetrics()`: the SDK histogram is made only without a producer. */
  static factory(
    meter: Meter,
    producer: ProcessDurationProducer | undefined,
    clock: TurnTime,
  ): (consumed: Tally) => LaneDurations {
    const sdk =
      producer === undefined
        ? meter.createHistogram(DURATION_NAME, {
            description: DURATION_DESCRIPTION,
            unit: 's',
            advice: { explicitBucketBoundaries: [...DURATION_BOUNDARIES] },
          })
        : undefined;
    return (consumed) => new LaneDurations(consumed, sdk, producer, clock);
  }

  /** The scope of an attempt beginning now: this turn's, shared by the lane's attempts begun in it. */
  begin(): AttemptScope {
    const now = this.clock.now();
    const scope = this.current;
    if (scope !== undefined && scope.started === now) return scope;
    return (this.current = new DurationScope(this, this.clock, now));
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

/**
 * The attempts of one lane begun in one turn (a class: no closure). It keeps
 * no state of an attempt, so ending it once per attempt records each one.
 */
class DurationScope implements AttemptScope {
  constructor(
    private readonly lane: LaneDurations,
    private readonly clock: TurnTime,
    readonly started: number,
  ) {}
  end(error?: unknown): void {
    this.lane.record((this.clock.now() - this.started) / 1000, error === undefined ? undefined : errorType(error));
  }
}

const keyOf = (attrs: Attributes): string => JSON.stringify(Object.entries(attrs).sort());
