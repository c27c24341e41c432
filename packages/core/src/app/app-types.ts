import type { Clock } from '../clock/clock.js';
import type { Codec } from '../codec/codec.js';
import type { Env } from '../config/env-reader.js';
import type { Executor } from '../executor/executor.js';
import type { AnyHandlerDefinition } from '../handler/handler.js';
import type { Logger } from '../logger/logger.js';
import type { Message, PublishMessage } from '../message/message.js';
import type { Middleware } from '../middleware/middleware.js';
import type { LaneStateValue, PauseReason } from '../partition/lane-machine.js';
import type { Instrumentation } from '../instrumentation/instrumentation.js';
import type { HealthReport, Transport } from '../transport/transport.js';
import type { StopOnSignalsOptions } from './stop-on-signals.js';

export interface AppOptions {
  readonly transport: Transport;
  readonly handlers?: readonly AnyHandlerDefinition[];
  /** @defaultValue jsonCodec */
  readonly codec?: Codec;
  /** Runs worker handlers; required when any handler has `worker`. */
  readonly executor?: Executor;
  readonly middleware?: readonly Middleware[];
  /**
   * Tracers, metrics, APM agents: publish and attempt hooks (see
   * `Instrumentation`), e.g. `otelInstrumentation()` of `@partita/opentelemetry`.
   */
  readonly instrumentation?: readonly Instrumentation[];
  /**
   * The one logger of the app, in pino's shape: a pino instance as it is, or
   * any `Logger`. Every line goes through `redact` first. The app hands it to
   * its transport and executor (`attach`), gives each lane a child with
   * `handler`, `group`, `topic`, `partition`, and each attempt a child with
   * the message's `offset`, `attempt`, `keyHash` and `traceId` (`ctx.logger`).
   * @defaultValue `defaultLogger()`: JSON lines on stderr at `PARTITA_LOG_LEVEL` (default `info`)
   */
  readonly logger?: Logger;
  /** @defaultValue systemClock */
  readonly clock?: Clock;
  /** Random source in [0, 1) for backoff jitter. @defaultValue Math.random */
  readonly random?: () => number;
  /** Suffix of default dead-letter topics. @defaultValue '.dlq' */
  readonly dlqSuffix?: string;
  /** Lane pauses when its buffered bytes exceed this. @defaultValue 16 MiB */
  readonly maxBufferedBytes?: number;
  /**
   * The most records all lanes of the app hold at once (delivered, not yet
   * settled), on top of each lane's own window. Past it a lane keeps what it
   * is delivered aside and pauses until other lanes settle theirs (first
   * come, first served); a lane may always hold one record, so every lane
   * makes progress. Matters with many lanes (1,024 partitions); a few lanes
   * with the default windows never reach it.
   * @defaultValue 16384
   */
  readonly maxHeldMessages?: number;
  /**
   * Where the `PARTITA_*` defaults are read (`PARTITA_RETRY_*`,
   * `PARTITA_DLQ_SUFFIX`, `PARTITA_LOG_LEVEL`); an explicit option always wins.
   * @defaultValue process.env
   */
  readonly env?: Env;
}

/** Snapshot of one partition actor. */
export interface LaneSnapshot {
  readonly handler: string;
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  /**
   * The lane machine's state in one word: `draining` or `stopped` once the
   * lane leaves `life.running`; else `blocked`, `paused`, or `running.<fetch>`
   * (`running.fetching`, `running.waiting`, `running.backingOff`).
   */
  readonly state: string;
  /**
   * The lane machine's full state value, one state per region (`life`, `flow`,
   * `health`, `fetch`, `commit`), e.g. `{ life: 'running', flow: 'paused',
   * health: 'blocked', fetch: 'fetching', commit: 'idle' }`, so a dashboard can
   * draw `laneMachine` with the current state lit.
   */
  readonly machine: LaneStateValue;
  /** Why the flow is paused (backpressure, or `operator` after `app.pauseLane`); absent while the flow is open. */
  readonly pauseReason?: PauseReason;
  readonly inFlight: number;
  readonly buffered: number;
  /** Offset model: next offset to consume (committed watermark). Message model: undefined. */
  readonly committed: string | undefined;
  /** Records received but not yet settled. */
  readonly lag: number;
  readonly received: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly retried: number;
  readonly deadLettered: number;
}

export interface AppSnapshot {
  readonly state: 'created' | 'starting' | 'running' | 'stopping' | 'stopped';
  readonly lanes: readonly LaneSnapshot[];
  readonly metrics: MetricsSnapshot;
  readonly executor?: Readonly<Record<string, unknown>>;
}

export interface MetricsSnapshot {
  readonly consumed: number;
  readonly published: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly retried: number;
  /** Delayed retries whose hand-off to the broker failed; each was retried in place instead. */
  readonly retryHandoffFailures: number;
  readonly deadLettered: number;
  readonly deadLetteredByReason: Readonly<Record<string, number>>;
  readonly inFlight: number;
  /** Handler duration histogram: upper bounds in ms and counts (last bucket +Inf). */
  readonly durationMs: {
    readonly bounds: readonly number[];
    readonly counts: readonly number[];
    /** Sum of every observed duration, ms (a histogram's `_sum`). */
    readonly sumMs: number;
  };
}

export type DeadLetterReason = 'decode' | 'non-retryable' | 'max-retries' | 'timeout';

export interface AppEvents {
  'message.received': { lane: LaneRef; count: number };
  'message.succeeded': { message: Message; durationMs: number };
  'message.failed': { message: Message; error: unknown };
  'message.retry-scheduled': { message: Message; error: unknown; delayMs: number; mode: 'blocking' | 'delayed' };
  /** A delayed retry could not be handed to the broker; the message is retried in place after `delayMs`. */
  'message.retry-handoff-failed': { message: Message; error: unknown; delayMs: number };
  'message.dead-lettered': {
    message: Message;
    error: unknown;
    reason: DeadLetterReason;
    deadLetterTopic: string | null;
  };
  'lane.assigned': { lane: LaneRef };
  'lane.revoked': { lane: LaneRef };
  /** The lane's flow paused (backpressure, or the operator's `app.pauseLane`). */
  'lane.paused': { lane: LaneRef; reason: PauseReason };
  'lane.resumed': { lane: LaneRef };
  /** The lane machine moved in any region: `from`/`to` in one word (as `LaneSnapshot.state` without the fetch detail), and the full values. */
  'lane.state-changed': {
    lane: LaneRef;
    from: string;
    to: string;
    fromValue: LaneStateValue;
    toValue: LaneStateValue;
  };
  'worker.error': { handler: string; error: unknown };
  error: { error: unknown; where: string };
}

export interface LaneRef {
  readonly handler: string;
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
}

/**
 * Which lanes `app.pauseLane`/`app.resumeLane` act on: every lane matching
 * all the fields given (at least one).
 */
export interface LaneSelector {
  readonly handler?: string;
  readonly group?: string;
  readonly topic?: string;
  readonly partition?: number;
}

export interface StopOptions {
  /** In-flight messages past this are aborted. @defaultValue 10_000 */
  readonly drainTimeoutMs?: number;
}

export interface App {
  start(): Promise<void>;
  stop(options?: StopOptions): Promise<void>;
  publish(messages: PublishMessage | readonly PublishMessage[]): Promise<void>;
  inspect(): AppSnapshot;
  /**
   * The operator's pause of the lanes `selector` matches: the broker side
   * pauses, attempts running finish, nothing new starts, nothing is lost.
   * No backpressure or health change lifts it; only `resumeLane` does, and
   * it outlasts a reassignment of the lane to this app. Returns the lanes it
   * applied to (`pauseReason: 'operator'`, `state: 'paused'`). Throws
   * `ConfigError` for a malformed selector, `LaneNotFoundError` when no
   * assigned lane matches.
   */
  pauseLane(selector: LaneSelector): LaneSnapshot[];
  /**
   * Lift the operator's pause of the lanes `selector` matches: each continues
   * in order where it stopped (still paused by backpressure if its window is
   * full). Lanes not paused by the operator are left as they are. Returns the
   * lanes it applied to; throws as `pauseLane`.
   */
  resumeLane(selector: LaneSelector): LaneSnapshot[];
  health(): Promise<HealthReport & { readonly lanes: readonly LaneSnapshot[] }>;
  /**
   * Stop on SIGTERM/SIGINT (see `StopOnSignalsOptions`): `inspect().state`
   * turns `stopping` at once (readiness false), lanes drain, final commits are
   * made, the process exits 0; a second signal exits at once (130) with an
   * error log line. Returns a function that removes the listeners.
   */
  stopOnSignals(options?: StopOnSignalsOptions): () => void;
  on<E extends keyof AppEvents>(event: E, listener: (payload: AppEvents[E]) => void): () => void;
}
