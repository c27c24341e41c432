import { describe, expect, it } from 'vitest';
import {
  EncodeError,
  UnsupportedFeatureError,
  createApp,
  defineHandler,
  isRetryable,
  type Codec,
  type Message,
  createConsoleLogger,
} from '../index.js';
import { createLaneTransport } from '../../test-fixtures/lane-transport.js';

const silent = createConsoleLogger({ level: 'silent' });

/** A codec in the style of msgpack: writes something for anything, so only the pre-check can catch a lost field. */
const lenientCodec: Codec = {
  contentType: 'application/x-lenient',
  encode: () => new Uint8Array([0xc0]),
  decode: () => null,
};

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

const circular = (): unknown => {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
};

describe('publish refuses values the codec cannot carry', () => {
  it.each([
    ['a function', () => 1, 'value', /"value" is a function/],
    ['a Symbol', Symbol('s'), 'value', /"value" is a Symbol/],
    ['undefined', undefined, 'value', /"value" is undefined/],
    ['a circular object', circular(), 'value.self', /"value.self" is a circular reference/],
    ['a BigInt (JSON)', { n: 10n }, 'value.n', /"value.n" is a BigInt/],
    ['a nested function', { items: [{ fn: () => 1 }] }, 'value.items[0].fn', /"value.items\[0\].fn" is a function/],
  ])('%s: EncodeError naming the field and the codec, nothing published', async (_what, value, field, message) => {
    const transport = createLaneTransport();
    const app = createApp({ transport, logger: silent, env: {} });
    await app.start();
    const err = await rejection(app.publish({ topic: 't', value }));
    expect(err).toBeInstanceOf(EncodeError);
    expect((err as EncodeError).field).toBe(field);
    expect((err as EncodeError).code).toBe('ERR_ENCODE');
    expect(err.message).toMatch(message);
    expect(err.message).toContain('application/json');
    expect(isRetryable(err)).toBe(false);
    expect(transport.published).toHaveLength(0);
    await app.stop();
  });

  it('catches what a lenient (msgpack-like) codec would silently drop, naming that codec', async () => {
    const transport = createLaneTransport();
    const app = createApp({ transport, logger: silent, env: {}, codec: lenientCodec });
    await app.start();
    const err = await rejection(app.publish({ topic: 't', value: { a: { b: () => 1 } } }));
    expect(err).toBeInstanceOf(EncodeError);
    expect(err.message).toContain('"value.a.b" is a function');
    expect(err.message).toContain('application/x-lenient');
    // A BigInt is fine for a non-JSON codec.
    await app.publish({ topic: 't', value: { n: 1n } });
    expect(transport.published).toHaveLength(1);
    await app.stop();
  });

  it('wraps a codec failure in EncodeError with the cause, and one bad message of a batch publishes none', async () => {
    const boom = new RangeError('too big');
    const codec: Codec = {
      contentType: 'application/x-picky',
      encode: (v) => {
        if (v === 2) throw boom;
        return new Uint8Array([1]);
      },
      decode: () => 1,
    };
    const transport = createLaneTransport();
    const app = createApp({ transport, logger: silent, env: {}, codec });
    await app.start();
    const err = await rejection(
      app.publish([
        { topic: 't', value: 1 },
        { topic: 't', value: 2 },
      ]),
    );
    expect(err).toBeInstanceOf(EncodeError);
    expect(err.cause).toBe(boom);
    expect(err.message).toContain('application/x-picky');
    expect(transport.published).toHaveLength(0);
    await app.stop();
  });

  it('still publishes plain values, null tombstones, dates and undefined fields', async () => {
    const transport = createLaneTransport();
    const app = createApp({ transport, logger: silent, env: {} });
    await app.start();
    await app.publish([
      { topic: 't', value: { at: new Date(0), gone: undefined, list: [1, 'a', null] } },
      { topic: 't', value: null },
    ]);
    expect(transport.published.map((r) => (r.value === null ? null : new TextDecoder().decode(r.value)))).toEqual([
      '{"at":"1970-01-01T00:00:00.000Z","list":[1,"a",null]}',
      null,
    ]);
    await app.stop();
  });
});

describe('publish validates headers once, in core', () => {
  it.each([
    ['a number', 42, /header "x-count" must be a string \(got number\)/],
    ['null', null, /header "x-count" must be a string \(got null\)/],
    ['an object', { a: 1 }, /header "x-count" must be a string \(got object\)/],
  ])('app.publish: a header that is %s is a non-retryable EncodeError naming it', async (_what, v, message) => {
    const transport = createLaneTransport();
    const app = createApp({ transport, logger: silent, env: {} });
    await app.start();
    const err = await rejection(app.publish({ topic: 't', value: 1, headers: { ok: 'yes', 'x-count': v } as never }));
    expect(err).toBeInstanceOf(EncodeError);
    expect((err as EncodeError).field).toBe('headers.x-count');
    expect(err.message).toMatch(message);
    expect(isRetryable(err)).toBe(false);
    expect(transport.published).toHaveLength(0);
    await app.stop();
  });

  it('ctx.publish refuses a bad header the same way', async () => {
    const transport = createLaneTransport();
    let seen: unknown;
    const app = createApp({
      transport,
      logger: silent,
      env: {},
      handlers: [
        defineHandler({
          name: 'h',
          topic: 'in',
          deadLetter: false,
          retry: { maxAttempts: 1 },
          handle: async (_m: Message, ctx) => {
            try {
              await ctx.publish({ topic: 'out', value: 1, headers: { n: 7 } as never });
            } catch (err) {
              seen = err;
            }
          },
        }),
      ],
    });
    await app.start();
    await app.publish({ topic: 'in', value: 1 });
    const end = Date.now() + 20_000;
    while (seen === undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(seen).toBeInstanceOf(EncodeError);
    expect((seen as Error).message).toContain('header "n"');
    expect(transport.published.filter((r) => r.topic === 'out')).toHaveLength(0);
    await app.stop();
  });
});

describe('publish refuses features the transport lacks', () => {
  it.each([
    ['delayMs', { delayMs: 500 }, 'nativeDelay'],
    ['priority', { priority: 3 }, 'priority'],
    ['ttlMs', { ttlMs: 1000 }, 'ttl'],
  ] as const)(
    '%s: UnsupportedFeatureError naming the feature and the transport',
    async (feature, extra, capability) => {
      const transport = createLaneTransport();
      const app = createApp({ transport, logger: silent, env: {} });
      await app.start();
      const err = await rejection(app.publish({ topic: 't', value: 1, ...extra }));
      expect(err).toBeInstanceOf(UnsupportedFeatureError);
      expect((err as UnsupportedFeatureError).feature).toBe(feature);
      expect(err.message).toContain(`"${feature}"`);
      expect(err.message).toContain('lane-fixture');
      expect(err.message).toContain(`capabilities.${capability}`);
      expect(isRetryable(err)).toBe(false);
      expect(transport.published).toHaveLength(0);
      await app.stop();
    },
  );

  it('passes the features a transport has, and delayMs: 0 everywhere', async () => {
    const base = createLaneTransport();
    const transport = { ...base, capabilities: { ...base.capabilities, nativeDelay: true, priority: true, ttl: true } };
    const app = createApp({ transport, logger: silent, env: {} });
    await app.start();
    await app.publish({ topic: 't', value: 1, delayMs: 5, priority: 2, ttlMs: 100 });
    expect(base.published[0]).toMatchObject({ delayMs: 5, priority: 2, ttlMs: 100 });
    await app.stop();
    const plain = createLaneTransport();
    const app2 = createApp({ transport: plain, logger: silent, env: {} });
    await app2.start();
    await app2.publish({ topic: 't', value: 1, delayMs: 0 });
    expect(plain.published).toHaveLength(1);
    await app2.stop();
  });
});
