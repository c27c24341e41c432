import { createHash, randomUUID } from 'node:crypto';
import type { Message as SqsMessage, MessageAttributeValue, SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import {
  MessageRejectedError,
  MessageTooLargeError,
  type Headers,
  type InboundRecord,
  type OutboundRecord,
} from '@partita/core';

/** SQS's limit on one message (body and attributes) and on one SendMessageBatch. */
export const MAX_MESSAGE_BYTES = 262_144;
/** SQS's longest per-message delay (standard queues; FIFO queues take none). */
export const MAX_DELAY_SECONDS = 900;
/** The one message attribute partita uses: key, headers and how the body is encoded (SQS allows 10). */
export const ENVELOPE_ATTRIBUTE = 'partita';
const STRING = 'String';

/**
 * The envelope attribute's JSON: `k` key, `h` headers, `b` body form (`u`
 * UTF-8 text, `6` base64, `n` tombstone); on a FIFO retry copy also `a` (its
 * attempt) and `nb` (not before, epoch ms).
 */
export interface Envelope {
  readonly k?: string;
  readonly h: Headers;
  readonly b: 'u' | '6' | 'n';
  readonly a?: number;
  readonly nb?: number;
}

/** The envelope of a received message, if partita published it. */
export function envelopeOf(m: SqsMessage): Envelope | undefined {
  const raw = m.MessageAttributes?.[ENVELOPE_ATTRIBUTE]?.StringValue;
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as Envelope;
  } catch {
    return undefined;
  }
}

/** Characters an SQS body may hold (XML 1.0's): tab, newline, carriage return and most of Unicode. */
// eslint-disable-next-line no-control-regex -- the allowed set names tab, LF and CR explicitly
const INVALID_BODY = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function bodyOf(value: Uint8Array | null): { body: string; form: Envelope['b'] } {
  if (value === null) return { body: '~', form: 'n' };
  if (value.length > 0) {
    try {
      const text = utf8.decode(value);
      if (!INVALID_BODY.test(text)) return { body: text, form: 'u' };
    } catch {
      /* not UTF-8: base64 */
    }
  }
  // An empty body is refused by SQS: base64 of nothing is written as '=' and read back as nothing.
  return { body: value.length === 0 ? '=' : Buffer.from(value).toString('base64'), form: '6' };
}

/** MessageGroupId (FIFO): the key when SQS takes it as it is, else a hash of it; keyless messages are independent. */
export function groupIdOf(key: string | undefined): string {
  if (key === undefined) return `_${randomUUID()}`;
  return /^[\x21-\x7e]{1,128}$/.test(key) ? key : `h:${createHash('sha256').update(key).digest('hex')}`;
}

/** MessageDeduplicationId (FIFO): a hash of key, headers and value, so a re-sent publish is dropped for 5 minutes. */
export function deduplicationIdOf(r: OutboundRecord): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([r.key ?? null, r.headers, r.value === null]));
  if (r.value) h.update(r.value);
  return h.digest('hex');
}

/** One SendMessageBatch entry for `r` on a queue (FIFO or standard), and its size as SQS counts it. */
export function toSqsEntry(
  r: OutboundRecord,
  id: string,
  fifo: boolean,
): { entry: SendMessageBatchRequestEntry; bytes: number } {
  const { body, form } = bodyOf(r.value);
  const envelope: Envelope = { ...(r.key !== undefined ? { k: r.key } : {}), h: r.headers, b: form };
  const attribute = JSON.stringify(envelope);
  const bytes =
    Buffer.byteLength(body, 'utf8') + ENVELOPE_ATTRIBUTE.length + STRING.length + Buffer.byteLength(attribute, 'utf8');
  if (bytes > MAX_MESSAGE_BYTES)
    throw new MessageTooLargeError(
      `publish to "${r.topic}": the message is ${bytes} bytes with its headers and key, over SQS's ${MAX_MESSAGE_BYTES}-byte (256 KiB) limit`,
      { maxBytes: MAX_MESSAGE_BYTES },
    );
  let delaySeconds: number | undefined;
  if (r.delayMs !== undefined && r.delayMs > 0) {
    if (fifo)
      throw new MessageRejectedError(
        `publish to "${r.topic}": delayMs is not available on FIFO queues (a group with ordering 'key' or 'partition' reads this topic); SQS FIFO queues take no per-message delay`,
      );
    delaySeconds = Math.ceil(r.delayMs / 1000);
    if (delaySeconds > MAX_DELAY_SECONDS)
      throw new MessageRejectedError(
        `publish to "${r.topic}": delayMs ${r.delayMs} is over SQS's 15-minute limit (900,000 ms); schedule longer delays in the application`,
      );
  }
  const attributes: Record<string, MessageAttributeValue> = {
    [ENVELOPE_ATTRIBUTE]: { DataType: STRING, StringValue: attribute },
  };
  return {
    bytes,
    entry: {
      Id: id,
      MessageBody: body,
      MessageAttributes: attributes,
      ...(delaySeconds !== undefined ? { DelaySeconds: delaySeconds } : {}),
      ...(fifo ? { MessageGroupId: groupIdOf(r.key), MessageDeduplicationId: deduplicationIdOf(r) } : {}),
    },
  };
}

/** A received SQS message as partita's record; `offset` is the SQS MessageId. */
export function fromSqsMessage(m: SqsMessage, envelope: Envelope | undefined = envelopeOf(m)): InboundRecord {
  const body = m.Body ?? '';
  // Not published by partita: the body is the value as UTF-8, the SQS attributes of type String are headers.
  const headers: Record<string, string> = {};
  if (!envelope)
    for (const [name, v] of Object.entries(m.MessageAttributes ?? {}))
      if (v.StringValue !== undefined) headers[name] = v.StringValue;
  const value =
    envelope?.b === 'n'
      ? null
      : envelope?.b === '6'
        ? new Uint8Array(body === '=' ? Buffer.alloc(0) : Buffer.from(body, 'base64'))
        : new Uint8Array(Buffer.from(body, 'utf8'));
  const attrs = m.Attributes ?? {};
  return {
    key: envelope?.k,
    value,
    headers: envelope ? envelope.h : headers,
    offset: m.MessageId ?? '',
    timestamp: Number(attrs.SentTimestamp ?? Date.now()),
    deliveryCount: envelope?.a ?? Number(attrs.ApproximateReceiveCount ?? 1),
  };
}
