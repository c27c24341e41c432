import { describe, expect, it } from 'vitest';
import {
  fromNatsHeaders,
  KEY_HEADER,
  NOT_BEFORE_HEADER,
  TOMBSTONE_HEADER,
  toNatsHeaders,
  toNatsPayload,
} from './record-headers.js';

describe('record headers', () => {
  it('round-trips headers and key, and adds not-before for delayMs', () => {
    const h = toNatsHeaders(
      { topic: 't', key: 'k1', value: new Uint8Array(), headers: { 'x-Trace': 'a b', n: '1' }, delayMs: 500 },
      1000,
    );
    expect(h?.get(KEY_HEADER)).toBe('k1');
    expect(h?.get(NOT_BEFORE_HEADER)).toBe('1500');
    expect(fromNatsHeaders(h)).toEqual({
      headers: { 'x-Trace': 'a b', n: '1' },
      key: 'k1',
      notBefore: 1500,
      tombstone: false,
    });
  });

  it('encodes values NATS forbids (CR/LF) reversibly', () => {
    const stack = 'Error: x\r\n    at f (a.js:1:1)\n%partita-enc:';
    const h = toNatsHeaders(
      { topic: 't', value: new Uint8Array(), headers: { 'partita-error-stack': stack, plain: '100%' } },
      0,
    );
    expect(h?.get('partita-error-stack')).not.toMatch(/[\r\n]/);
    expect(fromNatsHeaders(h).headers).toEqual({ 'partita-error-stack': stack, plain: '100%' });
    const tricky = '%partita-enc:abc';
    expect(
      fromNatsHeaders(toNatsHeaders({ topic: 't', value: new Uint8Array(), headers: { x: tricky } }, 0)).headers.x,
    ).toBe(tricky);
  });

  it('sends no headers for a bare record', () => {
    expect(toNatsHeaders({ topic: 't', value: new Uint8Array(), headers: {} }, 0)).toBeUndefined();
    expect(fromNatsHeaders(undefined)).toEqual({ headers: {}, key: undefined, notBefore: undefined, tombstone: false });
  });

  it('marks a tombstone with an empty payload and a reserved header, and reads it back', () => {
    const r = { topic: 't', value: null, headers: {} };
    const h = toNatsHeaders(r, 0);
    expect(h?.get(TOMBSTONE_HEADER)).toBe('1');
    expect(toNatsPayload(r)).toEqual(new Uint8Array(0));
    expect(fromNatsHeaders(h).tombstone).toBe(true);
    // A record's own header of a reserved name is not carried (it cannot forge a tombstone).
    const forged = toNatsHeaders({ topic: 't', value: new Uint8Array(), headers: { [TOMBSTONE_HEADER]: '1' } }, 0);
    expect(fromNatsHeaders(forged).tombstone).toBe(false);
  });
});
