import { describe, expect, it } from 'vitest';
import {
  ConnectionError,
  MessageRejectedError,
  MessageTooLargeError,
  TimeoutError,
  TopicNotFoundError,
} from '@partita/core';
import kafkajs from 'kafkajs';
import { mapKafkaError } from './map-kafka-error.js';

const { KafkaJSProtocolError, KafkaJSNumberOfRetriesExceeded, KafkaJSConnectionError, KafkaJSRequestTimeoutError } =
  kafkajs;
const protocol = (type: string) => Object.assign(new KafkaJSProtocolError('x'), { type });

describe('mapKafkaError', () => {
  it('maps kafkajs errors to core errors, keeping the cause', () => {
    const unknown = new KafkaJSNumberOfRetriesExceeded(protocol('UNKNOWN_TOPIC_OR_PARTITION'), {
      retryCount: 5,
      retryTime: 1000,
    });
    const e = mapKafkaError(unknown, 'publish', 'orders');
    expect(e).toBeInstanceOf(TopicNotFoundError);
    expect(e.message).toContain('orders');
    expect(e.cause).toBe(unknown);
    expect(mapKafkaError(protocol('INVALID_RECORD'), 'publish')).toBeInstanceOf(MessageRejectedError);
    expect(mapKafkaError(protocol('INVALID_RECORD'), 'publish')).not.toBeInstanceOf(MessageTooLargeError);
    expect(mapKafkaError(new KafkaJSConnectionError('refused'), 'connect')).toBeInstanceOf(ConnectionError);
    expect(mapKafkaError(new KafkaJSRequestTimeoutError('slow'), 'fetch')).toBeInstanceOf(TimeoutError);
  });

  it('maps the broker\'s "too large" answers to MessageTooLargeError, however deep kafkajs wrapped them', () => {
    for (const type of ['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']) {
      const direct = mapKafkaError(protocol(type), 'publish to t.dlq');
      expect(direct, type).toBeInstanceOf(MessageTooLargeError);
      expect(direct.code).toBe('ERR_MESSAGE_TOO_LARGE');
      expect(direct.retryable).toBe(false);
      const wrapped = new KafkaJSNumberOfRetriesExceeded(protocol(type), { retryCount: 0, retryTime: 0 });
      expect(mapKafkaError(wrapped, 'publish'), `${type} wrapped`).toBeInstanceOf(MessageTooLargeError);
      expect(mapKafkaError(wrapped, 'publish').cause).toBe(wrapped);
    }
    // the type lost, the broker's wording kept (an aggregate of a sendBatch)
    const worded = Object.assign(new Error('aggregate'), {
      errors: [new Error('The request included a message larger than the max message size the server will accept')],
    });
    expect(mapKafkaError(worded, 'publish')).toBeInstanceOf(MessageTooLargeError);
  });
});
