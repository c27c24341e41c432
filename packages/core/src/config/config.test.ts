import { describe, expect, it } from 'vitest';
import { ConfigError, envReader, fromEnv, transportFromEnv } from '../index.js';

describe('fromEnv', () => {
  it('has sane defaults', () => {
    expect(fromEnv({})).toEqual({
      transport: 'memory',
      retry: {},
      dlqSuffix: '.dlq',
      workerThreads: undefined,
      logLevel: 'info',
    });
  });
  it('reads every variable', () => {
    const c = fromEnv({
      PARTITA_TRANSPORT: 'kafka',
      PARTITA_RETRY_MAX_ATTEMPTS: '7',
      PARTITA_RETRY_INITIAL_MS: '50',
      PARTITA_RETRY_MAX_MS: '900',
      PARTITA_DLQ_SUFFIX: '-dead',
      PARTITA_WORKER_THREADS: '3',
      PARTITA_LOG_LEVEL: 'debug',
    });
    expect(c).toEqual({
      transport: 'kafka',
      retry: { maxAttempts: 7, backoff: { initialMs: 50, maxMs: 900 } },
      dlqSuffix: '-dead',
      workerThreads: 3,
      logLevel: 'debug',
    });
  });
  it.each([
    [
      { PARTITA_TRANSPORT: 'kafak' },
      /PARTITA_TRANSPORT="kafak" is invalid: expected one of memory, kafka, nats, rabbitmq, redis, sqs/,
    ],
    [
      { PARTITA_RETRY_MAX_ATTEMPTS: 'five' },
      /PARTITA_RETRY_MAX_ATTEMPTS="five" is invalid: expected an integer from 1 to 1000/,
    ],
    [{ PARTITA_WORKER_THREADS: '0' }, /PARTITA_WORKER_THREADS="0"/],
    [
      { PARTITA_LOG_LEVEL: 'loud' },
      /PARTITA_LOG_LEVEL="loud" is invalid: expected one of trace, debug, info, warn, error, fatal, silent/,
    ],
    [{ PARTITA_DLQ_SUFFIX: '/x' }, /PARTITA_DLQ_SUFFIX/],
  ])('rejects %o with a ConfigError naming the variable', (env, message) => {
    expect(() => fromEnv(env)).toThrow(ConfigError);
    expect(() => fromEnv(env)).toThrow(message);
  });
  it('redacts secrets in errors', () => {
    const r = envReader({ PARTITA_NATS_PASS: 'hunter2' });
    let err: Error | undefined;
    try {
      r.int('PARTITA_NATS_PASS');
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toContain('[redacted]');
    expect(err?.message).not.toContain('hunter2');
  });
  it.each(['alice:s3cret@host:4222', 'nats://alice:s3cret@host:4222', 'nats://alice:s3c@ret@host:4222'])(
    'redacts credentials inside a non-secret variable (%s)',
    (value) => {
      let err: Error | undefined;
      try {
        envReader({ PARTITA_NATS_SERVERS: value }).int('PARTITA_NATS_SERVERS');
      } catch (e) {
        err = e as Error;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect(err?.message).toContain('PARTITA_NATS_SERVERS');
      expect(err?.message).not.toMatch(/s3c/);
    },
  );
  it('no longer reads PARTITA_GROUP (a group per handler is set in code)', () => {
    expect(fromEnv({ PARTITA_GROUP: 'g' })).not.toHaveProperty('group');
  });
});

describe('transportFromEnv', () => {
  const missing = (pkg: string) => async () => {
    const e = new Error(`Cannot find package '${pkg}'`) as Error & { code: string };
    e.code = 'ERR_MODULE_NOT_FOUND';
    throw e;
  };
  it.each(['kafka', 'nats', 'rabbitmq', 'redis', 'sqs'])(
    'names the package to install when the released %s connector is missing',
    async (name) => {
      await expect(transportFromEnv({ PARTITA_TRANSPORT: name }, missing(`@partita/${name}`))).rejects.toThrow(
        `npm install @partita/${name}`,
      );
    },
  );
  it('calls the connector module transportFromEnv with the environment', async () => {
    const env = { PARTITA_TRANSPORT: 'nats', PARTITA_NATS_SERVERS: 'x' };
    let seen: unknown;
    const fake = { name: 'fake' };
    const t = await transportFromEnv(env, async (s) => {
      expect(s).toBe('@partita/nats');
      return {
        transportFromEnv: (e: unknown) => {
          seen = e;
          return fake;
        },
      };
    });
    expect(t).toBe(fake);
    expect(seen).toBe(env);
  });
  it('rejects a package without transportFromEnv', async () => {
    await expect(transportFromEnv({ PARTITA_TRANSPORT: 'kafka' }, async () => ({}))).rejects.toThrow(
      /does not export transportFromEnv/,
    );
  });
});
