import { assert, describe, expect, it } from 'vitest';
import { compose, logging, recovery, type HandlerContext, type Message, type Middleware } from '../index.js';

const ctx = (lines: unknown[][]): HandlerContext => ({
  signal: new AbortController().signal,
  attempt: 1,
  handler: 'h',
  group: 'g',
  publish: async () => {},
  logger: {
    debug: (...a) => lines.push(['debug', ...a]),
    info: () => {},
    warn: (...a) => lines.push(['warn', ...a]),
    error: () => {},
  },
});
const msg = {
  id: 't/0/1',
  topic: 't',
  key: 'k',
  value: { secret: 's3cr3t' },
  headers: {},
  partition: 0,
  offset: '1',
  timestamp: 0,
  attempt: 1,
} as Message;

describe('middleware', () => {
  it('compose applies the first middleware outermost', async () => {
    const order: string[] = [];
    const mw =
      (name: string): Middleware =>
      (next) =>
      async (m, c) => {
        order.push(`>${name}`);
        await next(m, c);
        order.push(`<${name}`);
      };
    await compose([mw('a'), mw('b')], async () => void order.push('handler'))(msg, ctx([]));
    expect(order).toEqual(['>a', '>b', 'handler', '<b', '<a']);
  });

  it('recovery turns a thrown string into an Error with the original as cause', async () => {
    const fn = compose([recovery()], () => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the case under test: a non-Error thrown
      throw 'nope';
    });
    const err = await Promise.resolve()
      .then(() => fn(msg, ctx([])))
      .catch((e: unknown) => e);
    assert.instanceOf(err, Error);
    expect(err.message).toBe('handler threw a non-Error value: nope');
    expect(err.cause).toBe('nope');
  });

  it('logging logs metadata but never the value', async () => {
    const lines: unknown[][] = [];
    await compose([logging()], async () => undefined)(msg, ctx(lines));
    await expect(
      compose([logging()], async () => {
        throw new Error('bad');
      })(msg, ctx(lines)),
    ).rejects.toThrow('bad');
    expect(lines.map((l) => l[1])).toEqual([
      'handling message',
      'message handled',
      'handling message',
      'message failed',
    ]);
    expect(JSON.stringify(lines)).not.toContain('s3cr3t');
    expect(lines[3]![2]).toMatchObject({ topic: 't', offset: '1', error: 'Error: bad' });
  });
});
