import { describe, expect, it } from 'vitest';
import { toInboundRecord } from './kafka-lane.js';

const base = { offset: '7', timestamp: '1700000000000' };

describe('toInboundRecord', () => {
  it('keeps text keys and headers as strings, without a byte form', () => {
    const r = toInboundRecord({
      ...base,
      key: Buffer.from('k-é'),
      value: Buffer.from('v'),
      headers: { a: Buffer.from('x✓'), b: 'str', c: [Buffer.from('1'), Buffer.from('2')], d: undefined },
    });
    expect(r.key).toBe('k-é');
    expect(r.headers).toEqual({ a: 'x✓', b: 'str', c: '2' });
    expect(r.raw).toBeUndefined();
    expect(r.offset).toBe('7');
    expect(r.timestamp).toBe(1_700_000_000_000);
  });

  it('adds the exact bytes of a key or header that is not valid UTF-8, and only of those', () => {
    const key = Buffer.from([0xff, 0x00, 0x80]);
    const bin = Buffer.from([0xc3, 0x28]);
    const r = toInboundRecord({ ...base, key, value: Buffer.from('v'), headers: { bin, txt: Buffer.from('ok') } });
    expect(r.raw?.key).toEqual(key);
    expect(r.raw?.headers).toEqual({ bin });
    expect(r.headers.txt).toBe('ok');
    expect(typeof r.key).toBe('string');
    const headerOnly = toInboundRecord({ ...base, key: Buffer.from('k'), value: null, headers: { bin } });
    expect(headerOnly.raw).toEqual({ headers: { bin } });
  });

  it("keeps a tombstone's null value, and a missing key as undefined", () => {
    const r = toInboundRecord({ ...base, key: null, value: null });
    expect(r.value).toBeNull();
    expect(r.key).toBeUndefined();
    expect(r.headers).toEqual({});
  });
});
