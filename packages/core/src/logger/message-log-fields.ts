import { createHash } from 'node:crypto';
import type { Headers } from '../message/message.js';

/**
 * A short stable digest of a message key for logs (16 hex digits of its
 * SHA-256): lines about one key can be correlated, and the key itself (an
 * email, an account number) never reaches a log.
 */
export function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** The trace id of a W3C `traceparent` header (`00-<trace id>-<span id>-<flags>`), if it has one. */
export function traceIdOf(headers: Headers | undefined): string | undefined {
  const tp = headers?.traceparent;
  if (typeof tp !== 'string') return undefined;
  const id = tp.split('-')[1];
  return id !== undefined && /^[0-9a-f]{32}$/.test(id) ? id : undefined;
}

/** What a per-message log line carries. */
export type MessageLogFields = {
  readonly offset: string;
  readonly attempt: number;
  readonly keyHash?: string;
  readonly traceId?: string;
};

/**
 * The fields of a log line about one message: its offset and attempt, the
 * `keyHash` of its key (never the key) and the `traceId` of its
 * `traceparent`, each only when there is one. A lane's logger already
 * carries handler, group, topic and partition.
 */
export function messageLogFields(m: {
  readonly offset: string;
  readonly attempt: number;
  readonly key: string | undefined;
  readonly headers: Headers | undefined;
}): MessageLogFields {
  const traceId = traceIdOf(m.headers);
  return {
    offset: m.offset,
    attempt: m.attempt,
    ...(m.key !== undefined ? { keyHash: keyHash(m.key) } : {}),
    ...(traceId !== undefined ? { traceId } : {}),
  };
}
