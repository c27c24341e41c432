import { describe, expect, it } from 'vitest';
import { ConfigError } from '@partita/core';
import { resolveSqsOptions, visibilityFor } from '../options/sqs-options.js';
import { sqsFromEnv, transportFromEnv } from './sqs-from-env.js';

describe('sqsFromEnv and options', () => {
  it('reads PARTITA_SQS_ENDPOINT, PARTITA_SQS_REGION, PARTITA_SQS_QUEUE_PREFIX and PARTITA_DLQ_SUFFIX', () => {
    expect(
      sqsFromEnv({
        PARTITA_SQS_ENDPOINT: 'http://127.0.0.1:9324',
        PARTITA_SQS_REGION: 'eu-west-1',
        PARTITA_SQS_QUEUE_PREFIX: 'app-',
        PARTITA_DLQ_SUFFIX: '.dead',
      }),
    ).toEqual({ endpoint: 'http://127.0.0.1:9324', region: 'eu-west-1', queuePrefix: 'app-', dlqSuffix: '.dead' });
    expect(sqsFromEnv({})).toEqual({});
    expect(transportFromEnv({ PARTITA_SQS_ENDPOINT: 'http://127.0.0.1:9324' }).name).toBe('sqs');
  });

  it('a bad variable is a ConfigError naming it', () => {
    expect(() => sqsFromEnv({ PARTITA_SQS_ENDPOINT: 'localhost:9324' })).toThrow(/PARTITA_SQS_ENDPOINT/);
    expect(() => sqsFromEnv({ PARTITA_SQS_REGION: 'EU West' })).toThrow(ConfigError);
    expect(() => sqsFromEnv({ PARTITA_SQS_QUEUE_PREFIX: 'a.b' })).toThrow(/PARTITA_SQS_QUEUE_PREFIX/);
  });

  it('a bad option is a ConfigError naming it, and never shows a secret', () => {
    expect(() => resolveSqsOptions({ waitTimeSeconds: 21 })).toThrow(
      /option "waitTimeSeconds" must be an integer from 0 to 20/,
    );
    expect(() => resolveSqsOptions({ queuePrefix: 'bad.prefix' })).toThrow(/queuePrefix/);
    const err = (() => {
      try {
        resolveSqsOptions({ credentials: { accessKeyId: 'AK', secretAccessKey: '' } });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.message).toMatch(/credentials/);
  });

  it('derives the visibility timeout from the handler timeout', () => {
    const o = resolveSqsOptions({});
    expect(visibilityFor(o, 30_000)).toBe(30);
    expect(visibilityFor(o, 1_500)).toBe(10);
    expect(visibilityFor(o, 12_300)).toBe(13);
    expect(visibilityFor(o, Infinity)).toBe(30);
    expect(visibilityFor(resolveSqsOptions({ visibilityTimeoutSeconds: 7 }), 30_000)).toBe(7);
  });
});
