import { describe, expect, it } from 'vitest';
import { ConnectionError, MessageRejectedError, TimeoutError, TopicNotFoundError } from '@partita/core';
import kafkajs from 'kafkajs';
import { mapKafkaError } from './map-kafka-error.js';

const { KafkaJSProtocolError, KafkaJSNumberOfRetriesExceeded, KafkaJSConnectionError, KafkaJSRequestTimeoutError } = kafkajs;
const protocol = (type: string) => Object.assign(new KafkaJSProtocolError('x'), { type });

describe('mapKafkaError', () => {
  it('maps kafkajs errors to core errors, keeping the cause', () => {
    const unknown = new KafkaJSNumberOfRetriesExceeded(protocol('UNKNOWN_TOPIC_OR_PARTITION'), { retryCount: 5, retryTime: 1000 });
    const e = mapKafkaError(unknown, 'publish', 'orders');
    expect(e).toBeInstanceOf(TopicNotFoundError);
    expect(e.message).toContain('orders');
    expect(e.cause).toBe(unknown);
    expect(mapKafkaError(protocol('MESSAGE_TOO_LARGE'), 'publish')).toBeInstanceOf(MessageRejectedError);
    expect(mapKafkaError(new KafkaJSConnectionError('refused'), 'connect')).toBeInstanceOf(ConnectionError);
    expect(mapKafkaError(new KafkaJSRequestTimeoutError('slow'), 'fetch')).toBeInstanceOf(TimeoutError);
  });
});
