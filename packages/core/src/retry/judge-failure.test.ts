import { describe, expect, it } from 'vitest';
import { DecodeError, MaxRetriesExceededError, NonRetryableError, TimeoutError, defineHandler } from '../index.js';
import { judgeFailure } from './judge-failure.js';

const retry = defineHandler({ name: 'h', topic: 't', retry: { maxAttempts: 3 }, handle: () => undefined }).retry;

describe('judgeFailure', () => {
  it('retries a transient error until maxAttempts, then records MaxRetriesExceededError with the cause', () => {
    const err = new Error('flaky');
    expect(judgeFailure(err, 2, retry)).toEqual({ retry: true });
    const v = judgeFailure(err, 3, retry);
    expect(v).toMatchObject({ retry: false, reason: 'max-retries' });
    const recorded = (v as { error: MaxRetriesExceededError }).error;
    expect(recorded).toBeInstanceOf(MaxRetriesExceededError);
    expect(recorded.cause).toBe(err);
  });
  it('dead-letters decode errors at once, also by name across threads', () => {
    expect(judgeFailure(new DecodeError('x'), 1, retry)).toMatchObject({ retry: false, reason: 'decode' });
    expect(judgeFailure(Object.assign(new Error('x'), { name: 'DecodeError' }), 1, retry)).toMatchObject({
      retry: false,
      reason: 'decode',
    });
  });
  it('dead-letters non-retryable errors at once with the error itself', () => {
    const err = new NonRetryableError('no');
    expect(judgeFailure(err, 1, retry)).toEqual({ retry: false, reason: 'non-retryable', error: err });
  });
  it('gives timeouts the reason timeout', () => {
    expect(judgeFailure(new TimeoutError('slow'), 3, retry)).toMatchObject({ retry: false, reason: 'timeout' });
    expect(
      judgeFailure(Object.assign(new Error('slow'), { name: 'TimeoutError', retryable: false }), 1, retry),
    ).toMatchObject({ retry: false, reason: 'timeout' });
  });
  it('treats a throwing retryable predicate as retryable', () => {
    const r = {
      ...retry,
      retryable: () => {
        throw new Error('bug');
      },
    };
    expect(judgeFailure(new Error('x'), 1, r)).toEqual({ retry: true });
  });
});
