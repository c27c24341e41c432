import {
  ClosedError,
  ConnectionError,
  MessageRejectedError,
  MessageTooLargeError,
  PartitaError,
  TimeoutError,
  TopicNotFoundError,
} from '@partita/core';

interface KafkaJsLikeError {
  readonly name?: string;
  readonly type?: string;
  readonly message?: string;
  readonly retriable?: boolean;
  readonly originalError?: unknown;
  readonly cause?: unknown;
  readonly topic?: string;
}

/** The broker's "too large" answers: a record above `max.message.bytes`, a batch above the request limit. */
const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);
const REJECTED = new Set([
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_REQUIRED_ACKS',
  'TOPIC_AUTHORIZATION_FAILED',
  'POLICY_VIOLATION',
  'INVALID_TOPIC_EXCEPTION',
]);
const CONNECTION = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSSASLAuthenticationError',
  'KafkaJSLockTimeout',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
]);

/** kafkajs's wording of the size answers when the error type is lost ("The request included a message larger than the max message size the server will accept"). */
const TOO_LARGE_TEXT =
  /larger than the max message size|message (?:size|batch) (?:is )?too large|record list too large/i;

/** The innermost kafkajs error (unwraps `KafkaJSNumberOfRetriesExceeded` and aggregate errors). */
function innermost(err: KafkaJsLikeError): KafkaJsLikeError {
  let e = err;
  for (let i = 0; i < 5; i++) {
    const next = e.originalError ?? e.cause ?? (e as { errors?: KafkaJsLikeError[] }).errors?.[0];
    if (!next || typeof next !== 'object') break;
    e = next;
  }
  return e;
}

/**
 * Maps a kafkajs error to partita's error classes, keeping it as `cause`:
 * unknown topic → `TopicNotFoundError`; record or batch too large
 * (`MESSAGE_TOO_LARGE`, `RECORD_LIST_TOO_LARGE`, or a message naming the
 * message size) → `MessageTooLargeError`; other refused record → `MessageRejectedError`;
 * request timeout → `TimeoutError`; network/SASL/broker → `ConnectionError`;
 * anything else → `ConnectionError` (retryable) with the kafkajs message.
 */
export function mapKafkaError(err: unknown, what: string, topic?: string): PartitaError {
  if (err instanceof PartitaError) return err;
  if (!err || typeof err !== 'object')
    return new ConnectionError(`kafka ${what} failed: ${String(err)}`, { cause: err });
  const e = err as KafkaJsLikeError;
  const inner = innermost(e);
  const type = inner.type ?? e.type;
  const name = inner.name ?? e.name ?? 'Error';
  const msg = inner.message ?? e.message ?? '';
  if (type === 'UNKNOWN_TOPIC_OR_PARTITION' || type === 'UNKNOWN_TOPIC_ID') {
    return new TopicNotFoundError(topic ?? inner.topic ?? e.topic ?? '(unknown)', { cause: err });
  }
  if ((type !== undefined && TOO_LARGE.has(type)) || TOO_LARGE_TEXT.test(msg)) {
    return new MessageTooLargeError(`kafka ${what} rejected by the broker as too large (${type ?? name}): ${msg}`, {
      cause: err,
    });
  }
  if (type !== undefined && REJECTED.has(type))
    return new MessageRejectedError(`kafka ${what} rejected by the broker (${type}): ${msg}`, { cause: err });
  if (name === 'KafkaJSRequestTimeoutError') return new TimeoutError(`kafka ${what} timed out: ${msg}`, { cause: err });
  if (/disconnected|closed/i.test(msg) && name === 'KafkaJSNonRetriableError')
    return new ClosedError(`kafka ${what} failed: ${msg}`, { cause: err });
  const kind = CONNECTION.has(name) ? 'broker unreachable' : (type ?? name);
  return new ConnectionError(`kafka ${what} failed (${kind}): ${msg}`, { cause: err });
}
