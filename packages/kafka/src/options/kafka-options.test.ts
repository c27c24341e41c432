import { describe, expect, it } from 'vitest';
import { ConfigError } from '@partita/core';
import { resolveKafkaOptions } from './kafka-options.js';
import { kafkaOptionsFromEnv } from './kafka-from-env.js';

describe('resolveKafkaOptions', () => {
  it('fills documented defaults', () => {
    const o = resolveKafkaOptions({ brokers: ['127.0.0.1:9092'] });
    expect(o).toMatchObject({
      clientId: 'partita',
      provisionTopics: true,
      partitions: 4,
      replicationFactor: 1,
      idempotent: true,
      acks: -1,
      dlqSuffix: '.dlq',
      retryTiersMs: [1000, 10000, 60000, 600000],
    });
  });
  it('rejects bad brokers, acks with idempotence, bad tiers and heartbeats naming the option', () => {
    expect(() => resolveKafkaOptions({ brokers: [] })).toThrow(/"brokers"/);
    expect(() => resolveKafkaOptions({ brokers: ['nohost'] })).toThrow(ConfigError);
    expect(() => resolveKafkaOptions({ brokers: ['h:1'], acks: 1 })).toThrow(/"acks".*idempotent/);
    expect(() => resolveKafkaOptions({ brokers: ['h:1'], retryTiersMs: [1000, 1000] })).toThrow(/retryTiersMs/);
    expect(() => resolveKafkaOptions({ brokers: ['h:1'], partitions: 0 })).toThrow(ConfigError);
    expect(() => resolveKafkaOptions({ brokers: ['h:1'], sessionTimeoutMs: 6000, heartbeatIntervalMs: 6000 })).toThrow(
      /heartbeatIntervalMs/,
    );
    expect(() =>
      resolveKafkaOptions({ brokers: ['h:1'], sasl: { mechanism: 'oauth' as never, username: 'u', password: 'p' } }),
    ).toThrow(/sasl.mechanism/);
  });
  it('sorts retry tiers', () => {
    expect(resolveKafkaOptions({ brokers: ['h:1'], retryTiersMs: [5000, 500] }).retryTiersMs).toEqual([500, 5000]);
  });
});

describe('kafkaOptionsFromEnv', () => {
  it('reads brokers, client id, ssl and sasl', () => {
    expect(
      kafkaOptionsFromEnv({
        PARTITA_KAFKA_BROKERS: 'a:9092, b:9093',
        PARTITA_KAFKA_CLIENT_ID: 'svc',
        PARTITA_KAFKA_SSL: 'true',
        PARTITA_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        PARTITA_KAFKA_SASL_USERNAME: 'u',
        PARTITA_KAFKA_SASL_PASSWORD: 'p',
      }),
    ).toEqual({
      brokers: ['a:9092', 'b:9093'],
      clientId: 'svc',
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
    });
  });
  it('names the variable in a ConfigError and never echoes the password', () => {
    expect(() => kafkaOptionsFromEnv({})).toThrow(/PARTITA_KAFKA_BROKERS/);
    expect(() => kafkaOptionsFromEnv({ PARTITA_KAFKA_BROKERS: 'a' })).toThrow(ConfigError);
    expect(() => kafkaOptionsFromEnv({ PARTITA_KAFKA_BROKERS: 'a:1', PARTITA_KAFKA_SSL: 'maybe' })).toThrow(
      /PARTITA_KAFKA_SSL/,
    );
    expect(() =>
      kafkaOptionsFromEnv({
        PARTITA_KAFKA_BROKERS: 'a:1',
        PARTITA_KAFKA_SASL_MECHANISM: 'gssapi',
        PARTITA_KAFKA_SASL_PASSWORD: 'hunter2',
      }),
    ).toThrow(/PARTITA_KAFKA_SASL_MECHANISM/);
    expect(() =>
      kafkaOptionsFromEnv({
        PARTITA_KAFKA_BROKERS: 'a:1',
        PARTITA_KAFKA_SASL_MECHANISM: 'plain',
        PARTITA_KAFKA_SASL_USERNAME: 'u',
      }),
    ).toThrow(/PARTITA_KAFKA_SASL_PASSWORD/);
    let message = '';
    try {
      kafkaOptionsFromEnv({ PARTITA_KAFKA_BROKERS: 'a:1', PARTITA_KAFKA_SASL_PASSWORD: 'hunter2' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/PARTITA_KAFKA_SASL_MECHANISM/);
    expect(message).not.toContain('hunter2');
  });
});

describe('kafkaOptionsFromEnv and PARTITA_DLQ_SUFFIX', () => {
  it('provisions the dead-letter topics createApp uses: PARTITA_DLQ_SUFFIX sets dlqSuffix', () => {
    expect(resolveKafkaOptions(kafkaOptionsFromEnv({ PARTITA_KAFKA_BROKERS: 'h:1' })).dlqSuffix).toBe('.dlq');
    expect(
      resolveKafkaOptions(kafkaOptionsFromEnv({ PARTITA_KAFKA_BROKERS: 'h:1', PARTITA_DLQ_SUFFIX: '-dead' })).dlqSuffix,
    ).toBe('-dead');
  });
});
