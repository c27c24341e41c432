import { describe, expect, it } from 'vitest';
import { createLaneTransport } from '../../test-fixtures/lane-transport.js';
import { ConfigError, InvalidTopicError } from '../errors/partita-error.js';
import { defineHandler } from '../handler/define-handler.js';
import { createApp } from './create-app.js';
import { createConsoleLogger } from '../index.js';

describe('topic names at the API boundary', () => {
  it('publish refuses a topic name no broker can hold, naming the rule, and sends nothing', async () => {
    const transport = createLaneTransport();
    const app = createApp({ transport, logger: createConsoleLogger({ level: 'silent' }) });
    await app.start();
    for (const topic of ['a b', 'orders.*', 'x'.repeat(250), 'é'.repeat(125), '..']) {
      await expect(app.publish({ topic, value: 1 })).rejects.toBeInstanceOf(InvalidTopicError);
    }
    expect(transport.published).toHaveLength(0);
    await app.stop();
  });

  it('defineHandler refuses such a topic with a ConfigError naming the option', () => {
    expect(() => defineHandler({ name: 'h', topic: 'has space', handle() {} })).toThrow(ConfigError);
    expect(() => defineHandler({ name: 'h', topic: 'has space', handle() {} })).toThrow(/option "topic"/);
  });
});

describe('dead-letter topic names', () => {
  const handle = async (): Promise<void> => undefined;

  it('refuses a handler whose default dead-letter topic would be too long, naming the fix', () => {
    const topic = 't'.repeat(247); // valid; "+ .dlq" is 251 bytes
    const h = defineHandler({ name: 'long', topic, handle });
    expect(() => createApp({ transport: createLaneTransport(), handlers: [h] })).toThrow(ConfigError);
    expect(() => createApp({ transport: createLaneTransport(), handlers: [h] })).toThrow(
      /handler "long": its dead-letter topic .* is not a valid topic name: .*249.*shorten the topic, choose a shorter dlqSuffix, or set deadLetter.topic/,
    );
  });

  it('accepts the same topic with a short explicit dead-letter topic, or with dead-lettering off', () => {
    const topic = 't'.repeat(247);
    expect(() =>
      createApp({
        transport: createLaneTransport(),
        handlers: [defineHandler({ name: 'a', topic, deadLetter: { topic: 'long.dlq' }, handle })],
      }),
    ).not.toThrow();
    expect(() =>
      createApp({
        transport: createLaneTransport(),
        handlers: [defineHandler({ name: 'b', topic, deadLetter: false, handle })],
      }),
    ).not.toThrow();
  });

  it('refuses a dlqSuffix that makes an invalid name', () => {
    const h = defineHandler({ name: 'c', topic: 'orders', handle });
    expect(() => createApp({ transport: createLaneTransport(), handlers: [h], dlqSuffix: '/dead' })).toThrow(
      /handler "c": its dead-letter topic "orders" \+ "\/dead" is not a valid topic name/,
    );
  });
});
