import {
  ClosedError,
  ConnectionError,
  MessageRejectedError,
  MessageTooLargeError,
  PartitaError,
  TimeoutError,
  TopicNotFoundError,
} from '@partita/core';

/** Error name and message, as text; nats.js errors carry no secrets, but never include options. */
function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Translate a nats.js error into partita's error classes, keeping the
 * original as `cause`. `what` names the operation (`publish to "orders"`).
 * `topic` is set when a missing stream means a missing topic; `maxPayload`
 * (the server's limit, when known) is carried by `MessageTooLargeError`, the
 * error for a payload over the server's `max_payload` or a stream's
 * `max_msg_size`.
 */
export function mapNatsError(err: unknown, what: string, topic?: string, maxPayload?: number): PartitaError {
  if (err instanceof PartitaError) return err;
  const name = err instanceof Error ? err.name : '';
  const msg = describe(err);
  const code = (err as { code?: unknown } | null)?.code;
  if (
    name === 'ClosedConnectionError' ||
    name === 'DrainingConnectionError' ||
    /connection (closed|draining)/i.test(msg)
  ) {
    return new ClosedError(`${what}: the NATS connection is closed`, { cause: err });
  }
  if (name === 'NoRespondersError' || /no responders/i.test(msg) || code === 503) {
    if (topic !== undefined) return new TopicNotFoundError(topic, { cause: err });
    return new ConnectionError(`${what}: no JetStream responders (is JetStream enabled?)`, { cause: err });
  }
  if (name === 'TimeoutError' || /timeout/i.test(msg)) {
    return new TimeoutError(`${what}: NATS did not answer in time`, { cause: err });
  }
  if (name === 'StreamNotFoundError' && topic !== undefined) return new TopicNotFoundError(topic, { cause: err });
  if (/max_payload|maximum payload|message size exceeds|message (is )?too large/i.test(msg)) {
    return new MessageTooLargeError(`${what}: rejected by NATS as too large: ${msg}`, {
      cause: err,
      maxBytes: maxPayload,
    });
  }
  if (name === 'InvalidArgumentError' || name === 'InvalidSubjectError' || name === 'InvalidHeaderError') {
    return new MessageRejectedError(`${what}: rejected by the NATS client: ${msg}`, { cause: err });
  }
  if (name === 'PermissionViolationError' || name === 'AuthorizationError' || /permission|authorization/i.test(msg)) {
    return new ConnectionError(`${what}: not authorized by NATS: ${msg}`, { cause: err });
  }
  if (name === 'JetStreamApiError' || name === 'JetStreamError') {
    return new MessageRejectedError(`${what}: JetStream error: ${msg}`, { cause: err });
  }
  return new ConnectionError(`${what}: ${msg}`, { cause: err });
}
