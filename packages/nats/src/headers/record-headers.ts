import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { Headers, OutboundRecord } from '@partita/core';

/** Header carrying the record key (NATS has no key field). */
export const KEY_HEADER = 'partita-key';
/** Header carrying the earliest delivery time (epoch ms) of a delayed publish. */
export const NOT_BEFORE_HEADER = 'partita-not-before';

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

/** NATS headers for an outbound record: its headers, the key and the not-before time for `delayMs`. */
export function toNatsHeaders(r: OutboundRecord, now: number): MsgHdrs | undefined {
  const names = Object.keys(r.headers);
  const delayed = r.delayMs !== undefined && r.delayMs > 0;
  if (names.length === 0 && r.key === undefined && !delayed) return undefined;
  const h = natsHeaders();
  for (const n of names) h.set(n, encodeHeaderValue(r.headers[n]!));
  if (r.key !== undefined) h.set(KEY_HEADER, r.key);
  if (delayed) h.set(NOT_BEFORE_HEADER, String(now + r.delayMs!));
  return h;
}

/** Split NATS headers into partita headers, key and not-before (first value of each header). */
export function fromNatsHeaders(h: MsgHdrs | undefined): { headers: Headers; key: string | undefined; notBefore: number | undefined } {
  const headers: Headers = {};
  let key: string | undefined;
  let notBefore: number | undefined;
  if (h) {
    for (const [name, values] of h) {
      const v = decodeHeaderValue(values[0] ?? '');
      if (name === KEY_HEADER) key = v;
      else if (name === NOT_BEFORE_HEADER) notBefore = Number(v);
      else headers[name] = v;
    }
  }
  return { headers, key, notBefore };
}
