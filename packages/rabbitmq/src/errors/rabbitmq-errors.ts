import {
  BackpressureError,
  ClosedError,
  ConfigError,
  ConnectionError,
  MessageTooLargeError,
  PartitaError,
  TimeoutError,
  TopicNotFoundError,
} from '@partita/core';

/**
 * The broker refused a publish (`basic.nack` under publisher confirms): a
 * queue it routes to is over its length limit with `x-overflow:
 * reject-publish`, or the broker could not store it. Nothing was accepted by
 * that queue; retryable.
 */
export class PublishRefusedError extends BackpressureError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
  }
}

/**
 * A publish reached the topic's exchange but no queue is bound for its
 * partition (returned under `mandatory`): no consumer group has subscribed to
 * the topic yet, or publishers and consumers disagree on its partition count.
 * Retryable: a group that subscribes later makes it routable.
 */
export class UnroutableError extends PartitaError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_UNROUTABLE', message, { ...options, retryable: true });
  }
}

/** Error text without secrets: amqplib errors never carry the URL, but the caller still redacts. */
function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Translate an amqplib / amqp-connection-manager error into partita's
 * classes (`cause` kept). `what` names the operation; `topic` is set when a
 * missing exchange means a missing topic.
 */
export function mapAmqpError(err: unknown, what: string, topic?: string): PartitaError {
  if (err instanceof PartitaError) return err;
  const msg = describe(err);
  const code = (err as { code?: unknown } | null)?.code;
  if (/timeout/i.test(msg)) return new TimeoutError(`${what}: RabbitMQ did not answer in time`, { cause: err });
  if (code === 404 || /NOT_FOUND/.test(msg)) {
    if (topic !== undefined) return new TopicNotFoundError(topic, { cause: err });
    return new ConfigError(`${what}: not found on the broker: ${msg}`, { cause: err });
  }
  if (code === 406 || /PRECONDITION_FAILED/.test(msg)) {
    if (/message size|max_message_size|exceeds/i.test(msg))
      return new MessageTooLargeError(`${what}: rejected by RabbitMQ as too large: ${msg}`, { cause: err });
    return new ConfigError(
      `${what}: the broker's existing exchange or queue differs from what this transport declares (arguments, type or durability): ${msg}; ` +
        'delete it or use the same options (partitions, queueType, deliveryLimit, maxLength) everywhere',
      { cause: err },
    );
  }
  if (code === 403 || /ACCESS_REFUSED|ACCESS-REFUSED/.test(msg))
    return new ConnectionError(`${what}: not authorized by RabbitMQ: ${msg}`, { cause: err });
  if (/channel ended|connection closed|socket|ECONNRESET|heartbeat/i.test(msg))
    return new ConnectionError(`${what}: the connection to RabbitMQ broke: ${msg}`, { cause: err });
  if (/Channel closed|IllegalOperationError/i.test(msg))
    return new ClosedError(`${what}: the RabbitMQ channel closed`, { cause: err });
  if (/nack/i.test(msg)) return new PublishRefusedError(`${what}: refused by RabbitMQ (nack): ${msg}`, { cause: err });
  return new ConnectionError(`${what}: ${msg}`, { cause: err });
}
