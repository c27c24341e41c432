import { originRaw, withOriginHeaders } from '../dead-letter/dead-letter-record.js';
import type { InboundRecord, LaneId, OutboundRecord } from '../transport/transport.js';
import { RETRY_HEADERS } from './retry-headers.js';

/**
 * The copy a delayed retry publishes: same key, value and headers, the next
 * attempt number, the group that failed it (only that group handles it), and
 * the original position.
 */
export function retryCopy(args: {
  /** The handler's topic (the lane's topic may be a retry tier). */
  readonly topic: string;
  readonly lane: LaneId;
  readonly record: InboundRecord;
  readonly nextAttempt: number;
  readonly delayMs: number;
}): OutboundRecord {
  const { record, lane } = args;
  const headers = withOriginHeaders(record.headers, lane, record, args.topic);
  headers[RETRY_HEADERS.attempt] = String(args.nextAttempt);
  headers[RETRY_HEADERS.targetGroup] = lane.group;
  return {
    topic: args.topic,
    ...(record.key !== undefined ? { key: record.key } : {}),
    value: record.value,
    headers,
    ...(record.raw !== undefined ? { raw: originRaw(record.raw, headers) } : {}),
    delayMs: args.delayMs,
  };
}
