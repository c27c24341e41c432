import { ConfigError } from '@partita/core';
import { describe, expect, it } from 'vitest';
import { redisFromEnv, transportFromEnv } from './redis-from-env.js';

describe('redisFromEnv', () => {
  it('reads URL, password, database, partitions, key prefix and the dead-letter suffix', () => {
    expect(
      redisFromEnv({
        PARTITA_REDIS_URL: 'rediss://cache:6380',
        PARTITA_REDIS_PASSWORD: 'pw',
        PARTITA_REDIS_DB: '2',
        PARTITA_REDIS_PARTITIONS: '8',
        PARTITA_REDIS_KEY_PREFIX: 'app:',
        PARTITA_DLQ_SUFFIX: '.dead',
      }),
    ).toEqual({
      url: 'rediss://cache:6380',
      password: 'pw',
      db: 2,
      partitions: 8,
      keyPrefix: 'app:',
      dlqSuffix: '.dead',
    });
    expect(redisFromEnv({})).toEqual({});
    expect(redisFromEnv({ PARTITA_REDIS_PARTITIONS: '2' }, { partitions: 4 }).partitions).toBe(4);
  });

  it.each([
    ['PARTITA_REDIS_URL', 'http://user:topsecret@h:1'],
    ['PARTITA_REDIS_URL', 'redis://user:topsecret@'],
    ['PARTITA_REDIS_DB', 'two'],
    ['PARTITA_REDIS_PARTITIONS', '0'],
    ['PARTITA_REDIS_KEY_PREFIX', 'a{b}'],
    ['PARTITA_DLQ_SUFFIX', 'a b'],
    ['PARTITA_REDIS_CLUSTER_NODES', 'redis://:topsecret@h:7000,h:7001'],
  ])('refuses %s=%s with a ConfigError naming it, secrets redacted', (name, value) => {
    const err = (() => {
      try {
        redisFromEnv({ [name]: value });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toContain(name);
    expect(err!.message).not.toContain('topsecret');
  });

  it('reads Redis Cluster seeds, and refuses them beside a URL', () => {
    expect(redisFromEnv({ PARTITA_REDIS_CLUSTER_NODES: 'redis://a:7000, redis://b:7001' }).cluster).toEqual({
      nodes: ['redis://a:7000', 'redis://b:7001'],
    });
    expect(() =>
      redisFromEnv({ PARTITA_REDIS_URL: 'redis://a:1', PARTITA_REDIS_CLUSTER_NODES: 'redis://:topsecret@a:7000' }),
    ).toThrow(/PARTITA_REDIS_CLUSTER_NODES=.*unset when PARTITA_REDIS_URL is set/);
  });

  it('builds a redis transport (lazily connected)', async () => {
    const t = transportFromEnv({ PARTITA_REDIS_URL: 'redis://127.0.0.1:1' });
    expect(t.name).toBe('redis');
    expect(t.capabilities).toMatchObject({ ackModel: 'message', partitions: true, nativeDelay: true });
    await t.close();
  });
});
