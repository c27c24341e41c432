import { describe, expect, it } from 'vitest';
import { createLaneTransport } from '../../test-fixtures/lane-transport.js';
import { ConfigError, InvalidTopicError } from '../errors/partita-error.js';
import { defineHandler } from '../handler/define-handler.js';
import { createApp } from './create-app.js';

describe('topic names at the API boundary', () => {
  it('publish refuses a topic name no broker can hold, naming the rule, and sends nothing', async () => {
    const transport = createLaneTransport();
    const app = createApp({ transport, logger: { debug() {}, info() {}, warn() {}, error() {} } });
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
