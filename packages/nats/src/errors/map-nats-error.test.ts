import { errors } from '@nats-io/transport-node';
import {
  ClosedError,
  ConnectionError,
  MessageRejectedError,
  MessageTooLargeError,
  TimeoutError,
  TopicNotFoundError,
} from '@partita/core';
import { describe, expect, it } from 'vitest';
import { mapNatsError } from './map-nats-error.js';

describe('mapNatsError', () => {
  it('maps nats.js errors to partita errors keeping the cause', () => {
    const closed = new errors.ClosedConnectionError();
    const m = mapNatsError(closed, 'publish');
    expect(m).toBeInstanceOf(ClosedError);
    expect(m.cause).toBe(closed);
    expect(mapNatsError(new errors.NoRespondersError('x'), 'publish', 'orders')).toBeInstanceOf(TopicNotFoundError);
    expect(mapNatsError(new errors.NoRespondersError('x'), 'publish')).toBeInstanceOf(ConnectionError);
    expect(mapNatsError(new errors.TimeoutError(), 'publish')).toBeInstanceOf(TimeoutError);
    expect(mapNatsError(new Error('message exceeds maximum payload'), 'publish')).toBeInstanceOf(MessageRejectedError);
    expect(mapNatsError(new Error('socket hang up'), 'publish')).toBeInstanceOf(ConnectionError);
    expect(mapNatsError(new errors.InvalidArgumentError('bad subject'), 'publish')).toBeInstanceOf(
      MessageRejectedError,
    );
    expect(mapNatsError(new errors.InvalidArgumentError('bad subject'), 'publish')).not.toBeInstanceOf(
      MessageTooLargeError,
    );
  });

  it('maps a payload over max_payload (client) or max_msg_size (stream) to MessageTooLargeError', () => {
    const client = errors.InvalidArgumentError.format('payload', 'max_payload size exceeded');
    const m = mapNatsError(client, 'publish to "t"', 't', 1024);
    expect(m).toBeInstanceOf(MessageTooLargeError);
    expect((m as MessageTooLargeError).maxBytes).toBe(1024);
    expect(m.cause).toBe(client);
    expect(mapNatsError(new Error('message size exceeds maximum allowed'), 'publish')).toBeInstanceOf(
      MessageTooLargeError,
    );
  });

  it('passes partita errors through', () => {
    const e = new ClosedError();
    expect(mapNatsError(e, 'x')).toBe(e);
  });
});
