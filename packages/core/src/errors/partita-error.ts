/**
 * Every error partita raises is a `PartitaError` with a stable `code`, an
 * optional `cause` and a `retryable` flag that the retry policy honours.
 * One subclass per condition, so callers can branch with `instanceof`.
 */
export class PartitaError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? true;
  }
}

/** Invalid options, environment variables or handler definitions. Never retryable. */
export class ConfigError extends PartitaError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_CONFIG', message, { ...options, retryable: false });
  }
}

/** The app, transport or broker was used after `close()`/`stop()`. */
export class ClosedError extends PartitaError {
  constructor(message = 'the connection is closed', options: { cause?: unknown } = {}) {
    super('ERR_CLOSED', message, { ...options, retryable: false });
  }
}

/** An operation (handler, publish, drain) did not finish within its deadline. */
export class TimeoutError extends PartitaError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_TIMEOUT', message, { ...options, retryable: true });
  }
}

/** The topic does not exist and the broker does not create topics automatically. */
export class TopicNotFoundError extends PartitaError {
  constructor(topic: string, options: { cause?: unknown } = {}) {
    super(
      'ERR_TOPIC_NOT_FOUND',
      `topic "${topic}" does not exist; create it first or enable automatic topic creation`,
      { ...options, retryable: false },
    );
  }
}

/** No lane of the app matches a lane selector (`app.pauseLane`/`app.resumeLane`). Never retryable. */
export class LaneNotFoundError extends PartitaError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_LANE_NOT_FOUND', message, { ...options, retryable: false });
  }
}

/**
 * A topic name breaks a naming rule (see docs/configuration.md "Topic
 * names"). Never retryable: the same name fails the same way every time.
 * The message names the topic, the rule and the fix.
 */
export class InvalidTopicError extends PartitaError {
  /** The refused name (as given; it may be very long). */
  readonly topic: unknown;
  /** The rule the name breaks, e.g. "at most 249 bytes in UTF-8". */
  readonly rule: string;
  constructor(topic: unknown, rule: string, fix: string, options: { cause?: unknown } = {}) {
    super(
      'ERR_INVALID_TOPIC',
      `invalid topic name ${describeTopic(topic)}: ${rule}; ${fix} (see docs/configuration.md "Topic names")`,
      { ...options, retryable: false },
    );
    this.topic = topic;
    this.rule = rule;
  }
}

/** A topic name for a message: JSON-quoted (control characters visible), long names shortened. */
function describeTopic(topic: unknown): string {
  if (typeof topic !== 'string') return `(${topic === null ? 'null' : typeof topic})`;
  const shown = topic.length > 80 ? `${topic.slice(0, 60)}…${topic.slice(-10)}` : topic;
  return JSON.stringify(shown);
}

/** The broker refused a message (too large, invalid, policy). */
export class MessageRejectedError extends PartitaError {
  constructor(message: string, options: { cause?: unknown; code?: string } = {}) {
    super(options.code ?? 'ERR_MESSAGE_REJECTED', message, { cause: options.cause, retryable: false });
  }
}

/**
 * The broker refused a message because it is larger than the broker allows.
 * Connectors map their own "too large" answers to it, so the runtime can
 * shrink what it added (dead-letter headers) and try again.
 */
export class MessageTooLargeError extends MessageRejectedError {
  /** The broker's limit in bytes, when it says. */
  readonly maxBytes: number | undefined;
  constructor(message: string, options: { cause?: unknown; maxBytes?: number } = {}) {
    super(message, { cause: options.cause, code: 'ERR_MESSAGE_TOO_LARGE' });
    this.maxBytes = options.maxBytes;
  }
}

/** A message failed `maxAttempts` times; `cause` is the last error. */
export class MaxRetriesExceededError extends PartitaError {
  readonly attempts: number;
  constructor(attempts: number, options: { cause?: unknown } = {}) {
    const last = options.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('ERR_MAX_RETRIES', `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}${last}`, {
      ...options,
      retryable: false,
    });
    this.attempts = attempts;
  }
}

/** A payload could not be decoded by the codec. Dead-lettered with reason `decode`. */
export class DecodeError extends PartitaError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_DECODE', message, { ...options, retryable: false });
  }
}

/** A limit (bytes, count, queue) is full; try again later. Nothing was accepted. */
export class BackpressureError extends PartitaError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_BACKPRESSURE', message, { ...options, retryable: true });
  }
}

/** The broker could not be reached or the connection broke. */
export class ConnectionError extends PartitaError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_CONNECTION', message, { ...options, retryable: true });
  }
}

/**
 * Thrown by a handler to skip retries: the message goes straight to the
 * dead-letter topic.
 */
export class NonRetryableError extends PartitaError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_NON_RETRYABLE', message, { ...options, retryable: false });
  }
}

/**
 * Whether an error is worth retrying: `false` for `NonRetryableError`,
 * `ConfigError`, `DecodeError` and any error carrying `retryable: false`;
 * `true` otherwise (unknown errors are assumed transient).
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof PartitaError) return err.retryable;
  if (err !== null && typeof err === 'object' && 'retryable' in err) {
    return (err as { retryable?: unknown }).retryable !== false;
  }
  return true;
}
