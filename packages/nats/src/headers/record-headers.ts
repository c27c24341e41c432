import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { Headers, OutboundRecord } from '@partita/core';

/** Header carrying the record key (NATS has no key field). */
export const KEY_HEADER = 'partita-key';
/** Header carrying the earliest delivery time (epoch ms) of a delayed publish. */
export const NOT_BEFORE_HEADER = 'partita-not-before';

/**
 * Header marking a tombstone (`value: null`). NATS has no null payload: a
 * tombstone is published as an empty payload with this header set to `1`, and
 * read back as `value: null` (the header is stripped). An empty payload
 * without it is an empty value, not a tombstone.
 */
export const TOMBSTONE_HEADER = 'partita-tombstone';

/** Marks a header value that was percent-encoded because NATS forbids CR/LF in header values. */
const ENCODED = '%partita-enc:';

/** A header value NATS accepts: values with CR/LF (stack traces) are percent-encoded behind a marker. */
export function encodeHeaderValue(v: string): string {
  return /[\r\n]/.test(v) || v.startsWith(ENCODED) ? ENCODED + encodeURIComponent(v) : v;
}

export function decodeHeaderValue(v: string): string {
  if (!v.startsWith(ENCODED)) return v;
  try {
    return decodeURIComponent(v.slice(ENCODED.length));
  } catch {
    return v;
  }
}

/** Headers the connector owns: a record's own header of that name is not carried. */
const RESERVED = new Set([KEY_HEADER, NOT_BEFORE_HEADER, TOMBSTONE_HEADER]);

/** NATS headers for an outbound record: its headers, the key, the not-before time for `delayMs` and the tombstone mark. */
export function toNatsHeaders(r: OutboundRecord, now: number): MsgHdrs | undefined {
  const names = Object.keys(r.headers).filter((n) => !RESERVED.has(n));
  const delayed = r.delayMs !== undefined && r.delayMs > 0;
  const tombstone = r.value === null;
  if (names.length === 0 && r.key === undefined && !delayed && !tombstone) return undefined;
  const h = natsHeaders();
  for (const n of names) h.set(n, encodeHeaderValue(r.headers[n]!));
  if (r.key !== undefined) h.set(KEY_HEADER, r.key);
  if (delayed) h.set(NOT_BEFORE_HEADER, String(now + r.delayMs));
  if (tombstone) h.set(TOMBSTONE_HEADER, '1');
  return h;
}

/** The NATS payload of an outbound record: a tombstone is an empty payload (see {@link TOMBSTONE_HEADER}). */
export function toNatsPayload(r: OutboundRecord): Uint8Array {
  return r.value ?? EMPTY;
}

const EMPTY = new Uint8Array(0);

/** What the connector reads from a NATS message's headers. */
export interface NatsHeaderFields {
  readonly headers: Headers;
  readonly key: string | undefined;
  readonly notBefore: number | undefined;
  /** The record is a tombstone: its value is `null`. */
  readonly tombstone: boolean;
}

/** Split NATS headers into partita headers, key, not-before and the tombstone mark (first value of each header). */
export function fromNatsHeaders(h: MsgHdrs | undefined): NatsHeaderFields {
  const headers: Headers = {};
  let key: string | undefined;
  let notBefore: number | undefined;
  let tombstone = false;
  if (h) {
    for (const [name, values] of h) {
      const v = decodeHeaderValue(values[0] ?? '');
      if (name === KEY_HEADER) key = v;
      else if (name === NOT_BEFORE_HEADER) notBefore = Number(v);
      else if (name === TOMBSTONE_HEADER) tombstone = v === '1';
      else headers[name] = v;
    }
  }
  return { headers, key, notBefore, tombstone };
}
