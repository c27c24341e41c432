import { describe, expect, it } from 'vitest';
import { fromNatsHeaders, KEY_HEADER, NOT_BEFORE_HEADER, toNatsHeaders } from './record-headers.js';

describe('record headers', () => {
  it('round-trips headers and key, and adds not-before for delayMs', () => {
    const h = toNatsHeaders({ topic: 't', key: 'k1', value: new Uint8Array(), headers: { 'x-Trace': 'a b', n: '1' }, delayMs: 500 }, 1000);
    expect(h?.get(KEY_HEADER)).toBe('k1');
    expect(h?.get(NOT_BEFORE_HEADER)).toBe('1500');
    expect(fromNatsHeaders(h)).toEqual({ headers: { 'x-Trace': 'a b', n: '1' }, key: 'k1', notBefore: 1500 });
  });

  it('encodes values NATS forbids (CR/LF) reversibly', () => {
    const stack = 'Error: x\r\n    at f (a.js:1:1)\n%partita-enc:';
    const h = toNatsHeaders({ topic: 't', value: new Uint8Array(), headers: { 'partita-error-stack': stack, plain: '100%' } }, 0);
    expect(h?.get('partita-error-stack')).not.toMatch(/[\r\n]/);
    expect(fromNatsHeaders(h).headers).toEqual({ 'partita-error-stack': stack, plain: '100%' });
    const tricky = '%partita-enc:abc';
    expect(fromNatsHeaders(toNatsHeaders({ topic: 't', value: new Uint8Array(), headers: { x: tricky } }, 0)).headers.x).toBe(tricky);
  });

  it('sends no headers for a bare record', () => {
    expect(toNatsHeaders({ topic: 't', value: new Uint8Array(), headers: {} }, 0)).toBeUndefined();
    expect(fromNatsHeaders(undefined)).toEqual({ headers: {}, key: undefined, notBefore: undefined });
  });
});
