import type { Clock } from '../clock/clock.js';
import type { AppAdmission } from './admission.js';
import type { Codec } from '../codec/codec.js';
import type { Emitter } from '../events/emitter.js';
import type { Executor } from '../executor/executor.js';
import type { AnyHandlerDefinition, HandleFn, HandlerContext } from '../handler/handler.js';
import type { Logger } from '../logger/logger.js';
import type { AppEvents } from '../app/app-types.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Transport } from '../transport/transport.js';
import type { AttemptInfo, AttemptScope } from '../instrumentation/instrumentation.js';

/** Everything a partition actor needs from its app, injected (no globals). */
export interface LaneContext {
  readonly handler: AnyHandlerDefinition;
  /** The handler wrapped in the app's middleware (event-loop handlers only). */
  readonly handle: HandleFn | undefined;
  readonly codec: Codec;
  readonly clock: Clock;
  readonly random: () => number;
  readonly transport: Transport;
  readonly executor: Executor | undefined;
  readonly logger: Logger;
  readonly events: Emitter<AppEvents>;
  readonly metrics: Metrics;
  /** Dead-letter topic, or null when dead-lettering is disabled. */
  readonly dlqTopic: string | null;
  readonly maxBufferedBytes: number;
  /** The app-wide budget of records its lanes hold (`maxHeldMessages`). */
  readonly admission: AppAdmission;
  readonly maxBufferedMessages: number;
  readonly publish: HandlerContext['publish'];
  /** Instrumentation's attempt hook (every attempt, event-loop and worker; see `LaneAttemptHook`). */
  readonly attemptHook?: ((info: AttemptInfo) => AttemptScope | undefined) | undefined;
}
