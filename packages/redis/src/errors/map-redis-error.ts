import { ConnectionError, MessageRejectedError, PartitaError, TimeoutError } from '@partita/core';

/**
 * Translate an ioredis error into partita's error classes, keeping the
 * original as `cause`. `what` names the operation (`XACK on "orders"`).
 * ioredis errors carry no credentials; callers still redact what they log.
 * A closed connection is a `ConnectionError` (retryable): only the transport
 * knows whether it was closed on purpose, and then it throws `ClosedError`.
 */
export function mapRedisError(err: unknown, what: string): PartitaError {
  if (err instanceof PartitaError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  if (/Command timed out|timed? ?out/i.test(msg))
    return new TimeoutError(`${what}: Redis did not answer in time`, { cause: err });
  if (/^(WRONGTYPE|ERR|NOSCRIPT|BUSYGROUP|NOGROUP|OOM|READONLY)\b/.test(msg)) {
    return new MessageRejectedError(`${what}: Redis refused: ${msg}`, { cause: err });
  }
  return new ConnectionError(`${what}: ${msg}`, { cause: err });
}
