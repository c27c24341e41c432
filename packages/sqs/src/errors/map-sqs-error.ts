import {
  ClosedError,
  ConnectionError,
  MessageRejectedError,
  MessageTooLargeError,
  PartitaError,
  TimeoutError,
  TopicNotFoundError,
  redact,
} from '@partita/core';

/** Whether the SDK error says the queue does not exist. */
export function isMissingQueue(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; message?: string } | null;
  return (
    e?.name === 'QueueDoesNotExist' ||
    e?.name === 'AWS.SimpleQueueService.NonExistentQueue' ||
    /NonExistentQueue|QueueDoesNotExist|does not exist/i.test(`${e?.Code ?? ''} ${e?.message ?? ''}`)
  );
}

/**
 * Translate an AWS SDK error into partita's error classes (the original as
 * `cause`); `what` names the operation, `secrets` are removed from the text.
 */
export function mapSqsError(err: unknown, what: string, secrets: readonly string[], topic?: string): PartitaError {
  if (err instanceof PartitaError) return err;
  const e = err as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } } | null;
  const name = e?.name ?? '';
  const msg = redact(String(e?.message ?? err), { secrets: [...secrets] });
  if (name === 'AbortError') return new ClosedError(`${what}: cancelled, the SQS transport is closing`, { cause: err });
  if (isMissingQueue(err)) {
    if (topic !== undefined) return new TopicNotFoundError(topic, { cause: err });
    return new MessageRejectedError(`${what}: the queue does not exist: ${msg}`, { cause: err });
  }
  if (/too long|too large|exceeds? .*(size|length)|BatchRequestTooLong/i.test(`${name} ${msg}`))
    return new MessageTooLargeError(`${what}: rejected by SQS as too large: ${msg}`, { cause: err, maxBytes: 262_144 });
  if (name === 'TimeoutError' || /timed? ?out|ETIMEDOUT/i.test(msg))
    return new TimeoutError(`${what}: SQS did not answer in time: ${msg}`, { cause: err });
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 400 && status < 500 && status !== 403 && status !== 429)
    return new MessageRejectedError(`${what}: SQS refused the request (${name || status}): ${msg}`, { cause: err });
  return new ConnectionError(`${what}: ${name ? `${name}: ` : ''}${msg}`, { cause: err });
}
