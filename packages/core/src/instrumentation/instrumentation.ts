import type { Headers } from '../message/message.js';
import type { OutboundRecord } from '../transport/transport.js';

/**
 * How a tracer, a metrics library or an APM agent plugs into an app
 * (`createApp({ instrumentation: [...] })`); core calls these hooks and
 * depends on nothing. `@partita/opentelemetry` is one implementation.
 * A hook that throws fails the publish or the attempt it wraps, so hooks
 * must not throw for their own trouble.
 */
export interface Instrumentation {
  /**
   * Around every `transport.publish` of the app: `app.publish`, `ctx.publish`
   * (inline handlers, with the attempt's `run` context active), the records
   * worker handlers published, retry copies and dead-letter copies. Call
   * `send` once, with the records (headers may be added, e.g. a
   * `traceparent`), and return its promise. `system` is the transport's name.
   */
  publish?(
    records: readonly OutboundRecord[],
    send: (records: readonly OutboundRecord[]) => Promise<void>,
    system: string,
  ): Promise<void>;
  /**
   * One handler attempt begins (event-loop or worker handler). Return a scope
   * to follow it, or `undefined` to ignore it. Called on the main thread,
   * synchronously before the handler runs; its scope's `end` is called
   * synchronously when the runtime takes the attempt's outcome (no promise
   * or closure is added to the attempt for it). This runs once per message:
   * keep it cheap (cache what is constant per lane on `info.lane`).
   */
  attempt?(info: AttemptInfo): AttemptScope | undefined;
}

/**
 * The part of an attempt's coordinates that is constant for a lane: one
 * object per lane, the same identity for every attempt of that lane, so an
 * instrumentation can keep per-lane state (attributes, tallies) in a
 * `WeakMap` keyed by it instead of building a key per message.
 */
export interface AttemptLane {
  /** The transport's name (`kafka`, `nats`, `memory`, ...): `messaging.system`. */
  readonly system: string;
  readonly handler: string;
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
}

/** What an attempt hook sees: the record's coordinates, never its value. */
export interface AttemptInfo extends AttemptLane {
  /** The lane's constant part (same object for every attempt of the lane). */
  readonly lane: AttemptLane;
  /** The broker's position of the record (Kafka offset, JetStream sequence, ...). */
  readonly offset: string;
  /** `${topic}/${partition}/${offset}`. */
  readonly id: string;
  readonly key: string | undefined;
  readonly headers: Readonly<Headers>;
  /** 1 on the first delivery. */
  readonly attempt: number;
  /** True when the attempt runs on a worker thread (see `AttemptScope.carry`). */
  readonly worker: boolean;
}

/** One attempt followed by an instrumentation. */
export interface AttemptScope {
  /**
   * Event-loop handlers: the attempt (middleware and handler) runs inside
   * `run`, so the hook can make its context active (AsyncLocalStorage).
   * Leave it out when the hook needs no context (metrics): the handler is
   * then called directly.
   */
  run?<T>(fn: () => T): T;
  /**
   * Headers carrying the attempt's context where `run` cannot reach: they
   * replace the same-named headers of the message shipped to a worker thread
   * (`ctx.trace` there), e.g. the process span's `traceparent`.
   */
  readonly carry?: Readonly<Headers>;
  /**
   * The attempt ended: `error` undefined on success. Called once, when the
   * runtime takes the outcome: the handler settled, or its deadline passed
   * (`TimeoutError`), or the drain deadline aborted it.
   */
  end(error?: unknown): void;
}

/** One attempt hook for a list of instrumentations (undefined when none has one). */
export function combineAttemptHooks(
  list: readonly Instrumentation[],
): ((info: AttemptInfo) => AttemptScope | undefined) | undefined {
  const hooks = list.filter((i) => typeof i.attempt === 'function');
  if (hooks.length === 0) return undefined;
  if (hooks.length === 1) return (info) => hooks[0]!.attempt!(info);
  return (info) => {
    const scopes = hooks.map((h) => h.attempt!(info)).filter((s): s is AttemptScope => s !== undefined);
    if (scopes.length === 0) return undefined;
    const carry = Object.assign({}, ...scopes.map((s) => s.carry ?? {})) as Headers;
    const running = scopes.filter((s) => s.run !== undefined);
    return {
      ...(running.length === 0
        ? {}
        : { run: <T>(fn: () => T): T => running.reduceRight<() => T>((inner, s) => () => s.run!(inner), fn)() }),
      carry,
      end: (error?: unknown) => {
        for (const s of scopes) s.end(error);
      },
    };
  };
}
