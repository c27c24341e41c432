import { describe, expect, it } from 'vitest';
import { MessageRejectedError, MessageTooLargeError, type OutboundRecord } from '@partita/core';
import {
  deduplicationIdOf,
  ENVELOPE_ATTRIBUTE,
  fromSqsMessage,
  groupIdOf,
  MAX_MESSAGE_BYTES,
  toSqsEntry,
} from './sqs-envelope.js';

const record = (over: Partial<OutboundRecord> = {}): OutboundRecord => ({
  topic: 't',
  key: 'k',
  value: new TextEncoder().encode('{"a":1}'),
  headers: { h1: 'v1' },
  ...over,
});

/** What SQS would hand back for an entry. */
function received(r: OutboundRecord, fifo = false) {
  const { entry } = toSqsEntry(r, 'm0', fifo);
  return fromSqsMessage({
    MessageId: 'id-1',
    ReceiptHandle: 'rh',
    Body: entry.MessageBody,
    MessageAttributes: entry.MessageAttributes,
    Attributes: { ApproximateReceiveCount: '3', SentTimestamp: '1700000000000' },
  });
}

describe('SQS envelope', () => {
  it('round-trips key, any number of headers (one attribute), UTF-8 and binary values and tombstones', () => {
    const headers = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`h${i}`, `v${i} ✓`]));
    const text = received(record({ headers }));
    expect(text).toMatchObject({ key: 'k', headers, offset: 'id-1', deliveryCount: 3, timestamp: 1700000000000 });
    expect(new TextDecoder().decode(text.value)).toBe('{"a":1}');
    const bytes = new Uint8Array([0, 1, 2, 255, 0xc3]);
    expect([...received(record({ value: bytes })).value!]).toEqual([...bytes]);
    expect(received(record({ value: new Uint8Array(0) })).value).toEqual(new Uint8Array(0));
    expect(received(record({ value: null })).value).toBeNull();
    expect(received(record({ key: undefined })).key).toBeUndefined();
    const { entry } = toSqsEntry(record({ headers }), 'm0', false);
    expect(Object.keys(entry.MessageAttributes ?? {})).toEqual([ENVELOPE_ATTRIBUTE]);
  });

  it('refuses a message over 256 KiB with MessageTooLargeError, counting headers', () => {
    const big = new Uint8Array(MAX_MESSAGE_BYTES - 50).fill(97);
    expect(() => toSqsEntry(record({ value: big, headers: { pad: 'x'.repeat(100) } }), 'm', false)).toThrow(
      MessageTooLargeError,
    );
    expect(() => toSqsEntry(record({ value: new Uint8Array(1000).fill(97) }), 'm', false)).not.toThrow();
  });

  it('FIFO entries carry the key as group id (hashed when SQS would refuse it) and a content deduplication id', () => {
    const { entry } = toSqsEntry(record(), 'm', true);
    expect(entry.MessageGroupId).toBe('k');
    expect(entry.MessageDeduplicationId).toBe(deduplicationIdOf(record()));
    expect(deduplicationIdOf(record())).not.toBe(deduplicationIdOf(record({ headers: { h1: 'v2' } })));
    expect(groupIdOf('clé with spaces')).toMatch(/^h:[0-9a-f]{64}$/);
    expect(groupIdOf(undefined)).not.toBe(groupIdOf(undefined));
    expect(toSqsEntry(record(), 'm', false).entry.MessageGroupId).toBeUndefined();
  });

  it('delays: seconds rounded up on standard queues; over 15 minutes or on FIFO queues a clear error', () => {
    expect(toSqsEntry(record({ delayMs: 1500 }), 'm', false).entry.DelaySeconds).toBe(2);
    expect(() => toSqsEntry(record({ delayMs: 901_000 }), 'm', false)).toThrow(/15-minute limit/);
    expect(() => toSqsEntry(record({ delayMs: 1000 }), 'm', true)).toThrow(MessageRejectedError);
  });

  it('reads messages not published by partita: body as UTF-8, String attributes as headers', () => {
    const r = fromSqsMessage({
      MessageId: 'x',
      Body: 'plain',
      MessageAttributes: { source: { DataType: 'String', StringValue: 'cli' } },
    });
    expect(new TextDecoder().decode(r.value)).toBe('plain');
    expect(r.headers).toEqual({ source: 'cli' });
    expect(r.key).toBeUndefined();
  });
});
