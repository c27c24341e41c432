import { describe, expect, it } from 'vitest';
import { fromFields, idTime, toFields } from './record-fields.js';

const asBuffers = (fields: (string | Buffer)[]): Buffer[] =>
  fields.map((f) => (typeof f === 'string' ? Buffer.from(f) : f));

describe('record fields', () => {
  it('round-trips key, headers and value bytes', () => {
    const value = new Uint8Array([0, 255, 1, 2]);
    const fields = toFields({ key: 'ключ', value, headers: { a: '1', 'content-type': 'x/y' } });
    const r = fromFields('1700000000123-4', asBuffers(fields), 2);
    expect(r).toMatchObject({ key: 'ключ', headers: { a: '1', 'content-type': 'x/y' }, offset: '1700000000123-4' });
    expect(r.timestamp).toBe(1_700_000_000_123);
    expect(r.deliveryCount).toBe(2);
    expect([...(r.value as Uint8Array)]).toEqual([0, 255, 1, 2]);
  });

  it('writes a tombstone without a value field and reads it back as null', () => {
    const fields = toFields({ key: 'k', value: null, headers: {} });
    expect(fields.map(String)).toEqual(['k', 'k']);
    expect(fromFields('1-0', asBuffers(fields), 1).value).toBeNull();
  });

  it('ignores unknown fields and malformed headers', () => {
    const r = fromFields('5-1', asBuffers(['h', 'not json', 'other', 'x', 'v', 'ok']), 1);
    expect(r.headers).toEqual({});
    expect(r.key).toBeUndefined();
    expect(Buffer.from(r.value!).toString()).toBe('ok');
    expect(idTime('42-7')).toBe(42);
  });
});
