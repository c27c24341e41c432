import { describe, expect, it } from 'vitest';
import { ConfigError, decodeWith, DecodeError } from '@partita/core';
import { Packr } from 'msgpackr';
import { msgpackCodec, MSGPACK_CONTENT_TYPE } from './msgpack-codec.js';

const order = {
  id: 'o-1',
  total: 12.5,
  items: [{ sku: 'a', qty: 2 }],
  paid: true,
  note: null,
  at: new Date(1_700_000_000_000),
};

describe('msgpackCodec', () => {
  it('round-trips values and names its content type', () => {
    const codec = msgpackCodec();
    expect(codec.contentType).toBe(MSGPACK_CONTENT_TYPE);
    for (const v of [
      order,
      [1, 'two', { three: 3 }],
      'text',
      42,
      -1.5,
      true,
      null,
      { nested: { deep: [1, [2, [3]]] } },
    ]) {
      expect(codec.decode(codec.encode(v))).toEqual(v);
    }
    const bin = codec.decode(codec.encode({ data: new Uint8Array([1, 2, 3]) })) as { data: Uint8Array };
    expect([...bin.data]).toEqual([1, 2, 3]);
  });

  it('returns a copy with its own exact-size buffer', () => {
    const codec = msgpackCodec();
    const a = codec.encode({ a: 1 });
    const b = codec.encode({ b: 2 });
    expect(a.byteOffset).toBe(0);
    expect(a.buffer.byteLength).toBe(a.byteLength);
    expect(a.buffer).not.toBe(b.buffer);
    expect(codec.decode(a)).toEqual({ a: 1 });
  });

  it('decoded binaries do not alias the input bytes', () => {
    const codec = msgpackCodec();
    const bytes = codec.encode({ data: new Uint8Array([9, 9, 9]) });
    const out = codec.decode(bytes) as { data: Uint8Array };
    bytes.fill(0);
    expect([...out.data]).toEqual([9, 9, 9]);
  });

  it('shared structures: smaller payloads, decodable by a codec with the same list, and new shapes stay self-contained', () => {
    const structures = [['id', 'total', 'items', 'paid', 'note', 'at']];
    const shared = msgpackCodec({ structures });
    const plain = msgpackCodec();
    const withShared = shared.encode(order);
    expect(withShared.byteLength).toBeLessThan(plain.encode(order).byteLength);
    // Another instance (another process) with the same list decodes it.
    expect(msgpackCodec({ structures }).decode(withShared)).toEqual(order);
    // The list never grows: an unknown shape is still decodable without it.
    const other = shared.encode({ x: 1, y: [2] });
    expect(plain.decode(other)).toEqual({ x: 1, y: [2] });
    expect(shared.options.structures).toEqual(structures);
    expect(Object.isFrozen(shared.options.structures)).toBe(true);
  });

  it('records: false writes standard MessagePack maps', () => {
    const codec = msgpackCodec({ records: false });
    const bytes = codec.encode({ a: 1 });
    expect([0x81, 0xde]).toContain(bytes[0]); // a map (fixmap or map16), not a record extension
    expect(codec.decode(bytes)).toEqual({ a: 1 });
    expect(msgpackCodec().decode(bytes)).toEqual({ a: 1 });
  });

  it('throws on truncated, trailing, empty, reserved and random input', () => {
    const codec = msgpackCodec();
    const good = codec.encode(order);
    expect(() => codec.decode(good.subarray(0, good.byteLength - 3))).toThrow();
    expect(() => codec.decode(new Uint8Array([...good, 0x01]))).toThrow();
    expect(() => codec.decode(new Uint8Array(0))).toThrow();
    expect(() => codec.decode(new Uint8Array([0xc1]))).toThrow(/0xC1/);
    // Declared lengths far beyond the input.
    for (const b of [
      [0xdd, 0xff, 0xff, 0xff, 0xff],
      [0xdf, 0xff, 0xff, 0xff, 0xff],
      [0xdb, 0xff, 0xff, 0xff, 0xff],
      [0xc6, 0x7f, 0xff, 0xff, 0xff, 1],
    ]) {
      expect(() => codec.decode(new Uint8Array(b))).toThrow();
    }
    // Random bytes: decode either throws or returns; it never hangs or crashes the process.
    let thrown = 0;
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 5_000; i++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256));
      try {
        codec.decode(bytes);
      } catch {
        thrown++;
      }
    }
    expect(thrown).toBeGreaterThan(4_000);
  });

  it('never lets a __proto__ key change the prototype', () => {
    const hostile = new Packr({ useRecords: false }).pack(JSON.parse('{"__proto__":{"polluted":true},"a":1}'));
    const out = msgpackCodec().decode(hostile) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('enforces maxBytes on decode and encode; the runtime wraps decode failures in DecodeError', () => {
    const codec = msgpackCodec({ maxBytes: 64 });
    const big = msgpackCodec().encode({ blob: 'x'.repeat(100) });
    expect(() => codec.decode(big)).toThrow(RangeError);
    expect(() => codec.decode(big)).toThrow(/maxBytes=64/);
    expect(() => codec.encode({ blob: 'x'.repeat(100) })).toThrow(/maxBytes=64/);
    expect(() => decodeWith(codec, big)).toThrow(DecodeError);
    expect(() => decodeWith(codec, new Uint8Array([0xdd, 0xff]))).toThrow(DecodeError);
  });

  it('decodes int64 as number when safe and bigint otherwise by default', () => {
    const codec = msgpackCodec();
    const v = codec.decode(new Packr({ useBigInt64: true } as never).pack({ small: 5n, big: 2n ** 60n })) as {
      small: unknown;
      big: unknown;
    };
    expect(v.big).toBe(2n ** 60n);
    expect(
      msgpackCodec({ int64AsType: 'string' }).decode(new Packr({ useBigInt64: true } as never).pack(2n ** 60n)),
    ).toBe(String(2n ** 60n));
  });

  it('validates options, naming the option and the expected form', () => {
    expect(() => msgpackCodec({ maxBytes: 0 })).toThrow(/"maxBytes" must be a positive integer/);
    expect(() => msgpackCodec({ maxBytes: 1.5 })).toThrow(ConfigError);
    expect(() => msgpackCodec({ structures: [[]] })).toThrow(/"structures\[0\]"/);
    expect(() => msgpackCodec({ structures: [['a', 'a']] })).toThrow(/distinct/);
    expect(() => msgpackCodec({ structures: 'x' as never })).toThrow(/"structures" must be an array/);
    expect(() => msgpackCodec({ records: false, structures: [['a']] })).toThrow(/requires "records: true"/);
    expect(() => msgpackCodec({ int64AsType: 'float' as never })).toThrow(/"int64AsType"/);
    expect(() => msgpackCodec({ records: 'yes' as never })).toThrow(/"records" must be a boolean/);
  });
});
