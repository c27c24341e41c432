import { ConfigError } from '@partita/core';
import { describe, expect, it } from 'vitest';
import { redisSecrets, resolveRedisOptions } from './redis-options.js';

describe('resolveRedisOptions', () => {
  it('fills in the defaults', () => {
    const o = resolveRedisOptions();
    expect(o).toMatchObject({
      url: 'redis://127.0.0.1:6379',
      keyPrefix: 'partita:',
      partitions: 1,
      partitionsGiven: false,
      leaseMs: 5000,
      maxLen: 10_000,
      deadLetterMaxLen: 1000,
      deadLetterMaxAgeMs: 168 * 3_600_000,
      dlqSuffix: '.dlq',
      tls: undefined,
    });
    expect(o.consumerName).toMatch(/^\S+-\d+-[0-9a-f]{8}$/);
  });

  it('turns TLS on for rediss:// and reads the database from the URL path', () => {
    const o = resolveRedisOptions({ url: 'rediss://cache.example:6380/3' });
    expect(o.tls).toEqual({});
    expect(o.db).toBe(3);
    expect(resolveRedisOptions({ url: 'redis://h:1/2', db: 5 }).db).toBe(5);
  });

  it.each([
    [{ partitions: 0 }, 'partitions'],
    [{ partitions: 1.5 }, 'partitions'],
    [{ leaseMs: 10 }, 'leaseMs'],
    [{ url: 'http://x' }, 'url'],
    [{ url: 'redis://h:1/abc' }, 'url'],
    [{ keyPrefix: 'a{b}' }, 'keyPrefix'],
    [{ dlqSuffix: ' dlq' }, 'dlqSuffix'],
    [{ maxLen: -1 }, 'maxLen'],
    [{ tls: 'yes' }, 'tls'],
    [{ nope: 1 }, 'nope'],
    [{ cluster: { nodes: [] } }, 'cluster'],
    [{ cluster: ['redis://h:1'] }, 'cluster'],
    [{ cluster: { nodes: ['h:7000'] } }, 'cluster.nodes[0]'],
    [{ cluster: { nodes: ['redis://h:7000', 'redis://h:7001/2'] } }, 'cluster.nodes[1]'],
    [{ cluster: { nodes: ['redis://h:7000', 'rediss://h:7001'] } }, 'cluster.nodes'],
    [{ cluster: { nodes: ['redis://h:7000'], replicas: true } }, 'cluster.replicas'],
    [{ cluster: { nodes: ['redis://h:7000'] }, url: 'redis://h:1' }, 'url'],
    [{ cluster: { nodes: ['redis://h:7000'] }, db: 1 }, 'db'],
  ])('refuses %j with a ConfigError naming %s', (bad, option) => {
    const err = (() => {
      try {
        resolveRedisOptions(bad as never);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toContain(`option "${option}"`);
  });

  it('never shows a password in an option error', () => {
    expect(() => resolveRedisOptions({ password: '' })).toThrow(ConfigError);
    try {
      resolveRedisOptions({ url: 'redis://:hunter2@h:1/x' });
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2');
    }
  });

  it('takes Redis Cluster seeds: hosts and ports, TLS from rediss://, credentials from the user info', () => {
    const o = resolveRedisOptions({
      cluster: { nodes: ['rediss://alice:s3cret@10.0.0.1:7000', 'rediss://[::1]:7001'] },
    });
    expect(o.cluster?.nodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '::1', port: 7001 },
    ]);
    expect(o.tls).toEqual({});
    expect(o).toMatchObject({ username: 'alice', password: 's3cret', db: undefined });
    expect(resolveRedisOptions({ cluster: { nodes: ['redis://h:7000'] }, password: 'pw' }).password).toBe('pw');
    expect(resolveRedisOptions().cluster).toBeUndefined();
    expect(redisSecrets({ cluster: { nodes: ['redis://u:pw@h:1', 'redis://h:2'] } })).toEqual(['u:pw', 'pw']);
  });

  it('lists the secrets of the URL and the password option', () => {
    expect(redisSecrets({ url: 'redis://alice:pa@ss@h:1', password: 'pw' })).toEqual(['pw', 'alice:pa@ss', 'pa@ss']);
    expect(redisSecrets({ url: 'redis://h:1' })).toEqual([]);
  });
});
