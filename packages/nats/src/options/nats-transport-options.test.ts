import { ConfigError } from '@partita/core';
import { describe, expect, it } from 'vitest';
import { resolveNatsOptions } from './nats-transport-options.js';

describe('resolveNatsOptions', () => {
  it('fills documented defaults', () => {
    const o = resolveNatsOptions();
    expect(o).toMatchObject({
      servers: ['nats://127.0.0.1:4222'],
      mode: 'jetstream',
      maxReconnectAttempts: -1,
      autoCreateStreams: true,
      storage: 'file',
      retention: 'limits',
      dlqSuffix: '.dlq',
      pullExpiresMs: 5000,
      confirmAcks: true,
      maxBufferedPublishBytes: 8 * 1024 * 1024,
    });
    expect(o.ackWaitMs).toBeUndefined();
  });

  it('rejects bad values naming the option and the expected form', () => {
    expect(() => resolveNatsOptions({ servers: [] })).toThrow(/"servers" must be a non-empty array/);
    expect(() => resolveNatsOptions({ mode: 'push' as never })).toThrow(ConfigError);
    expect(() => resolveNatsOptions({ mode: 'push' as never })).toThrow(/"mode" must be one of 'jetstream', 'core'/);
    expect(() => resolveNatsOptions({ pullExpiresMs: 500 })).toThrow(ConfigError);
    expect(() => resolveNatsOptions({ maxReconnectAttempts: -2 })).toThrow(
      /"maxReconnectAttempts" must be an integer >= 0 or -1/,
    );
    expect(() => resolveNatsOptions({ stream: 'a.b' })).toThrow(/"stream"/);
    expect(() => resolveNatsOptions({ tls: 'yes' as never })).toThrow(/"tls"/);
    expect(() => resolveNatsOptions({ publishConcurrency: 0 })).toThrow(/publishConcurrency/);
  });

  it('refuses two authentication methods without echoing secrets', () => {
    let err: unknown;
    try {
      resolveNatsOptions({ token: 's3cret-token', user: 'u', pass: 'p4ss' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(String((err as Error).message)).not.toMatch(/s3cret|p4ss/);
    expect(() => resolveNatsOptions({ pass: 'x' })).toThrow(/"pass" needs "user"/);
  });

  it('accepts tls: true as "TLS required"', () => {
    expect(resolveNatsOptions({ tls: true }).tls).toEqual({});
    expect(resolveNatsOptions({ tls: false }).tls).toBeUndefined();
  });
});
