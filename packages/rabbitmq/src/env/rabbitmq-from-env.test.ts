import { ConfigError, transportFromEnv as coreTransportFromEnv } from '@partita/core';
import { describe, expect, it } from 'vitest';
import { rabbitmqFromEnv } from './rabbitmq-from-env.js';

describe('rabbitmqFromEnv', () => {
  it('reads the URL (several, TLS, vhost), partitions, queue type, prefix, TLS files and the dead-letter suffix', () => {
    expect(
      rabbitmqFromEnv({
        PARTITA_RABBITMQ_URL: 'amqps://u:p@a:5671/prod, amqps://u:p@b:5671/prod',
        PARTITA_RABBITMQ_PARTITIONS: '8',
        PARTITA_RABBITMQ_QUEUE_TYPE: 'classic',
        PARTITA_RABBITMQ_PREFIX: 'svc.',
        PARTITA_RABBITMQ_TLS_CA_FILE: '/etc/ca.pem',
        PARTITA_DLQ_SUFFIX: '.dead',
      }),
    ).toEqual({
      url: ['amqps://u:p@a:5671/prod', 'amqps://u:p@b:5671/prod'],
      partitions: 8,
      queueType: 'classic',
      prefix: 'svc.',
      tls: { caFile: '/etc/ca.pem' },
      dlqSuffix: '.dead',
    });
  });

  it('leaves unset variables to the defaults; explicit overrides win', () => {
    expect(rabbitmqFromEnv({})).toEqual({});
    expect(rabbitmqFromEnv({ PARTITA_RABBITMQ_PARTITIONS: '2' }, { partitions: 3 })).toEqual({ partitions: 3 });
  });

  it('refuses a bad URL naming the variable, without the password', () => {
    const err = (() => {
      try {
        rabbitmqFromEnv({ PARTITA_RABBITMQ_URL: 'http://alice:s3cret@host' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toContain('PARTITA_RABBITMQ_URL');
    expect(err!.message).not.toContain('s3cret');
  });

  it.each([
    ['PARTITA_RABBITMQ_PARTITIONS', '0'],
    ['PARTITA_RABBITMQ_QUEUE_TYPE', 'stream'],
  ])('refuses %s=%s naming it', (name, value) => {
    expect(() => rabbitmqFromEnv({ [name]: value })).toThrow(new RegExp(name));
  });

  it("is what core's transportFromEnv loads for PARTITA_TRANSPORT=rabbitmq", async () => {
    const t = await coreTransportFromEnv({ PARTITA_TRANSPORT: 'rabbitmq', PARTITA_RABBITMQ_URL: 'amqp://h:5672' });
    expect(t.name).toBe('rabbitmq');
    expect(t.capabilities).toMatchObject({ ackModel: 'message', partitions: true, nativeDelay: true, replay: false });
    await t.close();
  });
});
