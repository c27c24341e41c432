import { describe, expect, it } from 'vitest';
import { createConsoleLogger, EncodeError, createApp, type OutboundRecord, type Transport } from '@partita/core';
import { msgpackCodec } from './msgpack-codec.js';

/** Records what the app hands to the broker; enough to see what publish lets through. */
function recordingTransport(): Transport & { published: OutboundRecord[] } {
  const published: OutboundRecord[] = [];
  return {
    name: 'recording',
    published,
    capabilities: {
      ackModel: 'offset',
      partitions: false,
      consumerGroups: false,
      nativeDelay: false,
      priority: false,
      ttl: false,
      replay: false,
    },
    async connect() {},
    async publish(records) {
      published.push(...records);
    },
    async subscribe() {
      return { async close() {} };
    },
    async health() {
      return { status: 'ok', reasons: [] };
    },
    async close() {},
  };
}

describe('publish with the msgpack codec', () => {
  it.each([
    ['a function (msgpack writes nothing for it)', { a: () => 1 }, 'value.a'],
    ['a nested Symbol', { list: [1, Symbol('s')] }, 'value.list[1]'],
    ['undefined', undefined, 'value'],
    [
      'a circular object',
      (() => {
        const o: Record<string, unknown> = {};
        o.me = o;
        return o;
      })(),
      'value.me',
    ],
    ['a BigInt past 64 bits', { n: 2n ** 70n }, 'value'],
  ])('refuses %s with an EncodeError naming the field and the codec', async (_what, value, field) => {
    const transport = recordingTransport();
    const app = createApp({
      transport,
      codec: msgpackCodec(),
      logger: createConsoleLogger({ level: 'silent' }),
      env: {},
    });
    await app.start();
    const err = await app.publish({ topic: 't', value }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EncodeError);
    expect((err as EncodeError).field).toBe(field);
    expect((err as Error).message).toContain('application/vnd.msgpack');
    expect(transport.published).toHaveLength(0);
    await app.stop();
  });

  it('still publishes a 64-bit BigInt, binaries and dates', async () => {
    const transport = recordingTransport();
    const codec = msgpackCodec();
    const app = createApp({ transport, codec, logger: createConsoleLogger({ level: 'silent' }), env: {} });
    await app.start();
    await app.publish({ topic: 't', value: { n: 10n, bin: new Uint8Array([1, 2]), at: new Date(0) } });
    const back = codec.decode(transport.published[0]!.value!) as { n: unknown; bin: Uint8Array; at: Date };
    expect(Number(back.n)).toBe(10);
    expect([...back.bin]).toEqual([1, 2]);
    expect(back.at).toEqual(new Date(0));
    await app.stop();
  });
});
