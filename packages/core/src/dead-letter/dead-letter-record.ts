import type { Headers } from '../message/message.js';
import { RETRY_HEADERS } from '../retry/retry-headers.js';
import type { InboundRecord, LaneId, OutboundRecord, RawFields } from '../transport/transport.js';

const MAX_STACK_BYTES = 4096;

/** The highest `trim` level of {@link deadLetterRecord}. */
export const MAX_DEAD_LETTER_TRIM = 3;

/** Header names of a dead-lettered copy (docs/design.md §5). */
export const DLQ_HEADERS = {
  topic: 'partita-original-topic',
  partition: 'partita-original-partition',
  offset: 'partita-original-offset',
  key: 'partita-original-key',
  attempts: 'partita-attempts',
  errorName: 'partita-error-name',
  errorMessage: 'partita-error-message',
  errorStack: 'partita-error-stack',
  failedAt: 'partita-failed-at',
  handler: 'partita-handler',
  group: 'partita-group',
  reason: 'partita-dead-letter-reason',
} as const;

function truncateUtf8(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.byteLength <= maxBytes) return text;
  return buf
    .subarray(0, maxBytes)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}

/**
 * Headers naming where a record was first published. Kept as they are when
 * the record already carries them (it is itself a copy), so a dead-letter
 * copy made after any number of retries describes the original record.
 */
export function withOriginHeaders(
  headers: Headers,
  lane: LaneId,
  record: InboundRecord,
  topic: string,
): Record<string, string> {
  const out: Record<string, string> = { ...headers };
  if (out[DLQ_HEADERS.topic] !== undefined) return out;
  out[DLQ_HEADERS.topic] = topic;
  out[DLQ_HEADERS.partition] = String(lane.partition);
  out[DLQ_HEADERS.offset] = record.offset;
  if (record.key !== undefined) out[DLQ_HEADERS.key] = record.key;
  return out;
}

/** Build the dead-letter copy: value and original headers unchanged, plus `partita-*` headers. */
export function deadLetterRecord(args: {
  readonly dlqTopic: string;
  readonly lane: LaneId;
  readonly record: InboundRecord;
  readonly attempts: number;
  readonly error: unknown;
  readonly reason: string;
  readonly handler: string;
  readonly now: number;
  /**
   * How much of what partita adds to leave out, for a broker that refused the
   * copy as too large: 0 nothing, 1 the stack, 2 also most of the error
   * message (256 bytes kept), 3 the whole message. Value, original headers and
   * `partita-original-*` are never dropped.
   */
  readonly trim?: number;
}): OutboundRecord {
  const { record, lane, error } = args;
  const err = error instanceof Error ? error : new Error(String(error));
  const headers = withOriginHeaders(record.headers, lane, record, lane.topic);
  delete headers[RETRY_HEADERS.attempt];
  delete headers[RETRY_HEADERS.targetGroup];
  headers[DLQ_HEADERS.attempts] = String(args.attempts);
  headers[DLQ_HEADERS.errorName] = err.name;
  const trim = args.trim ?? 0;
  if (trim < 3) headers[DLQ_HEADERS.errorMessage] = truncateUtf8(err.message, trim < 2 ? 1024 : 256);
  if (trim < 1) headers[DLQ_HEADERS.errorStack] = truncateUtf8(err.stack ?? '', MAX_STACK_BYTES);
  headers[DLQ_HEADERS.failedAt] = new Date(args.now).toISOString();
  headers[DLQ_HEADERS.handler] = args.handler;
  headers[DLQ_HEADERS.group] = lane.group;
  headers[DLQ_HEADERS.reason] = args.reason;
  return {
    topic: args.dlqTopic,
    ...(record.key !== undefined ? { key: record.key } : {}),
    value: record.value,
    headers,
    ...(record.raw !== undefined ? { raw: originRaw(record.raw, headers) } : {}),
  };
}

/** Byte forms for a copy: the record's own, plus the original key's bytes when this copy describes the original record. */
export function originRaw(raw: RawFields, headers: Headers): RawFields {
  if (raw.key === undefined || raw.headers?.[DLQ_HEADERS.key] !== undefined || headers[DLQ_HEADERS.key] === undefined)
    return raw;
  return { ...raw, headers: { ...raw.headers, [DLQ_HEADERS.key]: raw.key } };
}
