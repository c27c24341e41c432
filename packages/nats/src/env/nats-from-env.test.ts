import { ConfigError } from '@partita/core';
import { describe, expect, it } from 'vitest';
import { natsFromEnv, transportFromEnv } from './nats-from-env.js';

describe('natsFromEnv', () => {
  it('reads servers, auth, mode and the DLQ suffix', () => {
    expect(
      natsFromEnv({
        PARTITA_NATS_SERVERS: 'nats://a:4222, nats://b:4222',
        PARTITA_NATS_USER: 'u',
        PARTITA_NATS_PASS: 'p',
      }),
    ).toEqual({ servers: ['nats://a:4222', 'nats://b:4222'], user: 'u', pass: 'p' });
    expect(natsFromEnv({ PARTITA_NATS_TOKEN: 't' })).toEqual({ token: 't' });
    expect(
      natsFromEnv({ PARTITA_NATS_CREDS: '/etc/x.creds', PARTITA_NATS_MODE: 'core', PARTITA_DLQ_SUFFIX: '.dead' }),
    ).toEqual({ credsFile: '/etc/x.creds', mode: 'core', dlqSuffix: '.dead' });
    expect(natsFromEnv({})).toEqual({});
  });

  it('names the variable in ConfigErrors and redacts secrets', () => {
    expect(() => natsFromEnv({ PARTITA_NATS_SERVERS: 'http://x y' })).toThrow(ConfigError);
    expect(() => natsFromEnv({ PARTITA_NATS_SERVERS: 'http://x y' })).toThrow(/PARTITA_NATS_SERVERS/);
    let err: Error | undefined;
    try {
      natsFromEnv({ PARTITA_NATS_SERVERS: 'http://user:hunter2@x y' });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).not.toContain('hunter2');
    try {
      natsFromEnv({ PARTITA_NATS_TOKEN: 'tok-secret', PARTITA_NATS_CREDS: '/c' });
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.message).toMatch(/PARTITA_NATS_TOKEN/);
    expect(err?.message).not.toContain('tok-secret');
    expect(() => natsFromEnv({ PARTITA_NATS_PASS: 'pw-secret' })).toThrow(/PARTITA_NATS_USER/);
    expect(() => natsFromEnv({ PARTITA_NATS_USER: 'u' })).toThrow(/PARTITA_NATS_PASS/);
    expect(() => natsFromEnv({ PARTITA_NATS_MODE: 'push' })).toThrow(/PARTITA_NATS_MODE/);
  });

  it('transportFromEnv returns a NATS transport without connecting', async () => {
    const t = transportFromEnv({ PARTITA_NATS_SERVERS: 'nats://127.0.0.1:1' });
    expect(t.name).toBe('nats');
    expect(t.capabilities.ackModel).toBe('message');
    await t.close();
  });
});
