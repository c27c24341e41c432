import { describe, expect, it } from 'vitest';
import { ConfigError, backoffDelay, defineHandler } from '../index.js';

const handle = () => undefined;

describe('defineHandler', () => {
  it('fills in the defaults', () => {
    const h = defineHandler({ name: 'billing', topic: 'orders', handle });
    expect(h).toMatchObject({
      name: 'billing',
      topic: 'orders',
      group: 'billing',
      ordering: 'key',
      maxInFlight: 64,
      timeoutMs: 30_000,
      retry: {
        maxAttempts: 5,
        mode: 'blocking',
        backoff: { initialMs: 200, multiplier: 2, maxMs: 60_000, jitter: 0.2 },
      },
      deadLetter: { topic: undefined },
      startFrom: 'earliest',
      worker: undefined,
    });
  });
  it('partition ordering runs one message at a time', () => {
    expect(defineHandler({ name: 'h', topic: 't', ordering: 'partition', handle }).maxInFlight).toBe(1);
  });
  it('accepts a worker URL or absolute path', () => {
    expect(defineHandler({ name: 'w', topic: 't', worker: new URL('file:///tmp/x.js') }).worker).toBe(
      'file:///tmp/x.js',
    );
    expect(defineHandler({ name: 'w', topic: 't', worker: '/tmp/y.js' }).worker).toBe('file:///tmp/y.js');
  });
  it.each([
    [{ name: '', topic: 't', handle }, /option "name" must be a non-empty string/],
    [{ name: 'h', topic: '', handle }, /handler "h": option "topic" must be a non-empty string/],
    [
      { name: 'h', topic: 't', ordering: 'keys', handle },
      /option "ordering" must be one of 'key', 'partition', 'none', got "keys"/,
    ],
    [{ name: 'h', topic: 't', maxInFlight: 0, handle }, /option "maxInFlight" must be a positive integer, got 0/],
    [{ name: 'h', topic: 't', timeoutMs: 1.5, handle }, /option "timeoutMs" must be a positive integer/],
    [{ name: 'h', topic: 't', retry: { maxAttempts: -1 }, handle }, /retry.maxAttempts/],
    [{ name: 'h', topic: 't', retry: { mode: 'later' }, handle }, /retry.mode" must be 'blocking' or 'delayed'/],
    [
      { name: 'h', topic: 't', retry: { backoff: { jitter: 2 } }, handle },
      /retry.backoff.jitter" must be a fraction between 0 and 1/,
    ],
    [
      { name: 'h', topic: 't', deadLetter: { topic: 't' }, handle },
      /deadLetter.topic" must be different from the handler topic/,
    ],
    [{ name: 'h', topic: 't' }, /exactly one of "handle"/],
    [{ name: 'h', topic: 't', handle, worker: '/x.js' }, /exactly one of "handle"/],
    [{ name: 'h', topic: 't', worker: './relative.js' }, /option "worker" must be a URL/],
  ])('rejects %o', (options, message) => {
    expect(() => defineHandler(options as never)).toThrow(ConfigError);
    expect(() => defineHandler(options as never)).toThrow(message);
  });
});

describe('backoffDelay', () => {
  const b = { initialMs: 100, multiplier: 2, maxMs: 1000, jitter: 0.2 };
  it('grows exponentially and caps at maxMs', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay({ ...b, jitter: 0 }, a, Math.random))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
  });
  it('spreads by ± jitter', () => {
    expect(backoffDelay(b, 1, () => 0)).toBe(80);
    expect(backoffDelay(b, 1, () => 0.5)).toBe(100);
    expect(backoffDelay(b, 1, () => 0.999999)).toBe(120);
    expect(backoffDelay(b, 5, () => 0.999999)).toBe(1000);
  });
});
