import type { InboundRecord, LaneId, OutboundRecord } from '../transport/transport.js';

const MAX_STACK_BYTES = 4096;

/** Header names of a dead-lettered copy (DESIGN §5). */
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
  return buf.subarray(0, maxBytes).toString('utf8').replace(/\uFFFD$/, '');
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
}): OutboundRecord {
  const { record, lane, error } = args;
  const err = error instanceof Error ? error : new Error(String(error));
  const headers: Record<string, string> = { ...record.headers };
  delete headers['partita-attempt'];
  headers[DLQ_HEADERS.topic] = lane.topic;
  headers[DLQ_HEADERS.partition] = String(lane.partition);
  headers[DLQ_HEADERS.offset] = record.offset;
  if (record.key !== undefined) headers[DLQ_HEADERS.key] = record.key;
  headers[DLQ_HEADERS.attempts] = String(args.attempts);
  headers[DLQ_HEADERS.errorName] = err.name;
  headers[DLQ_HEADERS.errorMessage] = truncateUtf8(err.message, 1024);
  headers[DLQ_HEADERS.errorStack] = truncateUtf8(err.stack ?? '', MAX_STACK_BYTES);
  headers[DLQ_HEADERS.failedAt] = new Date(args.now).toISOString();
  headers[DLQ_HEADERS.handler] = args.handler;
  headers[DLQ_HEADERS.group] = lane.group;
  headers[DLQ_HEADERS.reason] = args.reason;
  return { topic: args.dlqTopic, ...(record.key !== undefined ? { key: record.key } : {}), value: record.value, headers };
}
