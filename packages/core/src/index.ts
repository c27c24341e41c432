export {
  PartitaError,
  ConfigError,
  ClosedError,
  TimeoutError,
  TopicNotFoundError,
  LaneNotFoundError,
  MessageRejectedError,
  MessageTooLargeError,
  MaxRetriesExceededError,
  DecodeError,
  BackpressureError,
  ConnectionError,
  NonRetryableError,
  InvalidTopicError,
  isRetryable,
} from './errors/partita-error.js';
export { validateTopicName, TOPIC_NAME_MAX_BYTES, type TopicNameRules } from './topic/topic-name.js';
export { partitionForKey } from './topic/partition-for-key.js';
export type { Message, PublishMessage, Headers } from './message/message.js';
export { jsonCodec, decodeWith } from './codec/codec.js';
export { EncodeError } from './codec/encode-error.js';
export { UnsupportedFeatureError } from './app/unsupported-feature-error.js';
export { encodeOutbound, checkFeatures } from './app/encode-outbound.js';
export { redact, REDACTED, SECRET_NAME } from './redact/redact.js';
export { optionError, shownOption } from './options/option-error.js';
export type { RedactOptions } from './redact/redact.js';
export { FINISHED_LANES_PER_HANDLER } from './app/finished-lanes.js';
export type { Codec } from './codec/codec.js';
export { systemClock, createVirtualClock, TurnQueue } from './clock/clock.js';
export type { Clock, VirtualClock, TimerHandle } from './clock/clock.js';
export type {
  Transport,
  TransportCapabilities,
  OutboundRecord,
  InboundRecord,
  LaneId,
  LaneHandle,
  OffsetLaneHandle,
  MessageLaneHandle,
  LaneSink,
  SubscriptionSpec,
  SubscriptionSink,
  Subscription,
  HealthReport,
  RawFields,
} from './transport/transport.js';
export { hasAdmin } from './transport/transport-admin.js';
export { recordJson, recordFromJson, valueText, type RecordJson } from './transport/record-json.js';
export { redriveDeadLetters, redriveCopy, matchesDeadLetter, recordId } from './redrive/redrive-dead-letters.js';
export type {
  DeadLetterFilter,
  RedriveOptions,
  RedrivePlanItem,
  RedriveReport,
} from './redrive/redrive-dead-letters.js';
export type {
  AdminTransport,
  BrowsedRecord,
  GroupLag,
  ReadOptions,
  TopicInfo,
  TransportAdmin,
} from './transport/transport-admin.js';
export type { Executor, ExecutorTask, ExecutorMessage, ExecutorOutcome, SerializedError } from './executor/executor.js';
export type {
  HandlerOptions,
  HandlerDefinition,
  DefaultableOption,
  HandlerContext,
  HandleFn,
  RetryOptions,
  BackoffOptions,
  DeadLetterOptions,
  AnyHandlerDefinition,
} from './handler/handler.js';
export type { Middleware } from './middleware/middleware.js';
export { compose } from './middleware/middleware.js';
export type {
  App,
  AppOptions,
  AppSnapshot,
  LaneSnapshot,
  MetricsSnapshot,
  AppEvents,
  LaneRef,
  StopOptions,
  DeadLetterReason,
  LaneSelector,
} from './app/app-types.js';
export { defineHandler } from './handler/define-handler.js';
export { createApp } from './app/create-app.js';
export type { StopOnSignalsOptions } from './app/stop-on-signals.js';
export type { Instrumentation, AttemptInfo, AttemptLane, AttemptScope } from './instrumentation/instrumentation.js';
export { backoffDelay, cappedBackoff } from './retry/backoff.js';
export { DLQ_HEADERS } from './dead-letter/dead-letter-record.js';
export { RETRY_HEADERS } from './retry/retry-headers.js';
export type { Logger, LogFn, LogLevel, LogMethod } from './logger/logger.js';
export { LOG_LEVELS, LOG_LEVEL_NAMES, checkLogger, isLevelEnabled } from './logger/logger.js';
export { createConsoleLogger } from './logger/console-logger.js';
export type { ConsoleLogger, ConsoleLoggerOptions, LogDestination } from './logger/console-logger.js';
export { defaultLogger } from './logger/default-logger.js';
export { redactingLogger } from './logger/redacting-logger.js';
export { ComponentLogger } from './logger/component-logger.js';
export type { AttachContext } from './logger/component-logger.js';
export { keyHash, messageLogFields, traceIdOf } from './logger/message-log-fields.js';
export type { MessageLogFields } from './logger/message-log-fields.js';
export { laneMachine } from './partition/lane-machine.js';
export type {
  BackpressureReason,
  BlockReason,
  LaneEvent,
  LaneMachineContext,
  LaneOrdering,
  LaneStateValue,
  PauseReason,
} from './partition/lane-machine.js';
export { messageLifecycleMachine } from './partition/message-lifecycle.js';
export { logging } from './middleware/logging.js';
export { recovery } from './middleware/recovery.js';
export { fromEnv, TRANSPORT_NAMES } from './config/from-env.js';
export type { EnvConfig, TransportName } from './config/from-env.js';
export { transportFromEnv } from './config/transport-from-env.js';
export type { ConnectorModule } from './config/transport-from-env.js';
export { envReader, envError } from './config/env-reader.js';
export type { Env } from './config/env-reader.js';
