import { assert, describe, expect, it } from 'vitest';
import {
  compose,
  createConsoleLogger,
  keyHash,
  logging,
  recovery,
  type HandlerContext,
  type Logger,
  type Message,
  type Middleware,
} from '../index.js';
import { jsonLines } from '../../test-fixtures/json-lines.js';

const ctx = (logger: Logger = createConsoleLogger({ level: 'silent' })): HandlerContext => ({
  signal: new AbortController().signal,
  attempt: 1,
  handler: 'h',
  group: 'g',
  publish: async () => {},
  logger,
});
const msg = {
  id: 't/0/1',
  topic: 't',
  key: 'customer-42',
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
    await compose([mw('a'), mw('b')], async () => void order.push('handler'))(msg, ctx());
    expect(order).toEqual(['>a', '>b', 'handler', '<b', '<a']);
  });

  it('recovery turns a thrown string into an Error with the original as cause', async () => {
    const fn = compose([recovery()], () => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the case under test: a non-Error thrown
      throw 'nope';
    });
    const err = await Promise.resolve()
      .then(() => fn(msg, ctx()))
      .catch((e: unknown) => e);
    assert.instanceOf(err, Error);
    expect(err.message).toBe('handler threw a non-Error value: nope');
    expect(err.cause).toBe('nope');
  });

  it('logging logs to ctx.logger (which carries the message fields), never the value', async () => {
    const { logger, lines } = jsonLines('debug');
    const c = ctx(logger);
    await compose([logging()], async () => undefined)(msg, c);
    await expect(
      compose([logging()], async () => {
        throw new Error('bad');
      })(msg, c),
    ).rejects.toThrow('bad');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['debug', 'handling message'],
      ['debug', 'message handled'],
      ['debug', 'handling message'],
      ['warn', 'message failed'],
    ]);
    expect(JSON.stringify(lines)).not.toContain('s3cr3t');
    expect(lines[1]).toHaveProperty('durationMs');
    expect(lines[3]).toMatchObject({ err: { name: 'Error', message: 'bad' } });
  });

  it('logging with its own logger adds the lane and message fields, with a key hash instead of the key', async () => {
    const { logger, lines } = jsonLines('debug');
    await compose([logging({ logger })], async () => undefined)(msg, ctx());
    expect(lines[0]).toMatchObject({
      msg: 'handling message',
      handler: 'h',
      group: 'g',
      topic: 't',
      partition: 0,
      offset: '1',
      attempt: 1,
      keyHash: keyHash('customer-42'),
    });
    expect(JSON.stringify(lines)).not.toMatch(/customer-42|s3cr3t/);
  });
});
