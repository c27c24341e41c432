import { describe, expect, it } from 'vitest';
import { ConfigError, MaxRetriesExceededError, NonRetryableError, PartitaError, isRetryable } from '@partita/core';

describe('errors', () => {
  it('carries code, cause and retryable', () => {
    const cause = new Error('boom');
    const err = new MaxRetriesExceededError(3, { cause });
    expect(err).toBeInstanceOf(PartitaError);
    expect(err.code).toBe('ERR_MAX_RETRIES');
    expect(err.cause).toBe(cause);
    expect(err.message).toBe('gave up after 3 attempts: boom');
    expect(err.name).toBe('MaxRetriesExceededError');
  });
  it('isRetryable', () => {
    expect(isRetryable(new Error('x'))).toBe(true);
    expect(isRetryable(new NonRetryableError('x'))).toBe(false);
    expect(isRetryable(new ConfigError('x'))).toBe(false);
    expect(isRetryable({ retryable: false })).toBe(false);
  });
});
