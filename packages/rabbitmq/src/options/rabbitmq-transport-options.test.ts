import { ConfigError } from '@partita/core';
import { describe, expect, it } from 'vitest';
import { partitionsOf, rabbitSecrets, resolveRabbitMqOptions } from './rabbitmq-transport-options.js';

describe('resolveRabbitMqOptions', () => {
  it('fills the defaults', () => {
    const o = resolveRabbitMqOptions();
    expect(o.urls).toEqual(['amqp://guest:guest@127.0.0.1:5672']);
    expect(o.partitions).toBe(1);
    expect(o.queueType).toBe('quorum');
    expect(o.dlqSuffix).toBe('.dlq');
    expect(o.declare).toBe(true);
    expect(o.exchangeName('orders')).toBe('orders');
    expect(o.queueName('orders', 'billing', 2)).toBe('orders.billing.2');
  });

  it('applies the prefix and per-topic partition counts', () => {
    const o = resolveRabbitMqOptions({ prefix: 'app.', partitions: 4, topicPartitions: { big: 16 } });
    expect(o.exchangeName('t')).toBe('app.t');
    expect(o.queueName('t', 'g', 0)).toBe('app.t.g.0');
    expect(partitionsOf(o, 'big')).toBe(16);
    expect(partitionsOf(o, 'other')).toBe(4);
  });

  it.each([
    [{ url: 'http://x' }, 'url'],
    [{ url: [] }, 'url'],
    [{ partitions: 0 }, 'partitions'],
    [{ partitions: 1.5 }, 'partitions'],
    [{ queueType: 'stream' }, 'queueType'],
    [{ dlqSuffix: ' dlq' }, 'dlqSuffix'],
    [{ topicPartitions: { t: 0 } }, 'topicPartitions.t'],
    [{ deliveryLimit: 0 }, 'deliveryLimit'],
    [{ maxLength: -1 }, 'maxLength'],
    [{ publishTimeoutMs: 0 }, 'publishTimeoutMs'],
    [{ declare: 'yes' }, 'declare'],
    [{ names: { queue: 'x' } }, 'names.queue'],
  ])('refuses %j with a ConfigError naming %s', (bad, option) => {
    const err = (() => {
      try {
        resolveRabbitMqOptions(bad as never);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(`option "${option}"`);
  });

  it('never shows the password of a bad URL', () => {
    expect(() => resolveRabbitMqOptions({ url: 'amqp://alice:s3cret@host:5672 bad' })).toThrow(ConfigError);
    try {
      resolveRabbitMqOptions({ url: 'amqp://alice:s3cret@host:5672 bad' });
    } catch (e) {
      expect((e as Error).message).not.toContain('s3cret');
    }
  });

  it('lists the secrets of URLs: user info and the (decoded) password', () => {
    expect(rabbitSecrets({ urls: ['amqps://bob:p%40ss@h/vhost', 'amqp://h:5672'] })).toEqual(
      expect.arrayContaining(['bob:p%40ss', 'p%40ss', 'p@ss']),
    );
  });
});
