import { describe, expect, it } from 'vitest';
import { fromAmqp, isProbe, KEY_HEADER, PROBE_HEADER, toAmqp, TOMBSTONE_HEADER } from './amqp-record.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('AMQP records', () => {
  it('round-trips value, key and headers; the connector headers are not the record headers', () => {
    const out = toAmqp({ topic: 't', key: 'k-1', value: bytes('{"a":1}'), headers: { h: 'line1\nline2' } });
    expect(out.headers).toEqual({ h: 'line1\nline2', [KEY_HEADER]: 'k-1' });
    const rec = fromAmqp({ content: out.content, properties: { headers: out.headers, timestamp: 1700000000 } }, '1.7');
    expect(rec).toMatchObject({ key: 'k-1', headers: { h: 'line1\nline2' }, offset: '1.7', deliveryCount: 1 });
    expect(new TextDecoder().decode(rec.value)).toBe('{"a":1}');
    expect(rec.timestamp).toBe(1700000000 * 1000);
  });

  it('carries a tombstone as an empty body with a marker, read back as null', () => {
    const out = toAmqp({ topic: 't', key: 'k', value: null, headers: {} });
    expect(out.content.byteLength).toBe(0);
    expect(out.headers[TOMBSTONE_HEADER]).toBe('1');
    expect(fromAmqp({ content: out.content, properties: { headers: out.headers } }, '1').value).toBeNull();
    expect(fromAmqp({ content: Buffer.alloc(0), properties: {} }, '1').value).toEqual(new Uint8Array(0));
  });

  it("counts earlier deliveries from x-delivery-count and drops the broker's own headers", () => {
    const rec = fromAmqp(
      {
        content: Buffer.from('x'),
        properties: {
          headers: {
            'x-delivery-count': 2,
            'x-death': [{ count: 1 }],
            'x-first-death-reason': 'expired',
            n: 5,
            b: Buffer.from('bytes'),
            o: { a: 1 },
          },
        },
      },
      '1',
    );
    expect(rec.deliveryCount).toBe(3);
    expect(rec.headers).toEqual({ n: '5', b: 'bytes', o: '{"a":1}' });
  });

  it('never republishes broker headers or a spoofed connector header', () => {
    const out = toAmqp({ topic: 't', value: bytes('v'), headers: { 'x-death': '[]', [PROBE_HEADER]: 'x', ok: '1' } });
    expect(out.headers).toEqual({ ok: '1' });
    expect(isProbe({ content: Buffer.alloc(0), properties: { headers: { [PROBE_HEADER]: 'm' } } })).toBe(true);
    expect(isProbe({ content: Buffer.alloc(0), properties: { headers: {} } })).toBe(false);
  });
});
