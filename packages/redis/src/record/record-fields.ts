import type { Headers, InboundRecord, OutboundRecord } from '@partita/core';

/** Field names of a partita stream entry. */
export const FIELD = {
  /** The value's bytes; absent for a tombstone. */
  value: 'v',
  /** The key, when there is one. */
  key: 'k',
  /** Headers as a JSON object, when there are any. */
  headers: 'h',
} as const;

/** An outbound record as the flat field/value list `XADD` takes. */
export function toFields(r: Pick<OutboundRecord, 'key' | 'value' | 'headers'>): (string | Buffer)[] {
  const out: (string | Buffer)[] = [];
  if (r.key !== undefined) out.push(FIELD.key, r.key);
  if (r.headers && Object.keys(r.headers).length > 0) out.push(FIELD.headers, JSON.stringify(r.headers));
  if (r.value !== null) out.push(FIELD.value, Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength));
  return out;
}

/** Milliseconds of an entry id (`<ms>-<seq>`). */
export function idTime(id: string): number {
  const dash = id.indexOf('-');
  return Number(dash < 0 ? id : id.slice(0, dash));
}

/**
 * A stream entry as the runtime sees it. `fields` are the raw `Buffer`s of
 * `XREADGROUP`/`XAUTOCLAIM`; unknown fields are ignored.
 */
export function fromFields(id: string, fields: readonly Buffer[], deliveryCount: number): InboundRecord {
  let key: string | undefined;
  let headers: Headers = {};
  let value: Uint8Array | null = null;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const f = fields[i]!;
    if (f.length !== 1) continue;
    const c = f[0];
    if (c === 0x76) value = fields[i + 1]!;
    else if (c === 0x6b) key = fields[i + 1]!.toString('utf8');
    else if (c === 0x68) headers = parseHeaders(fields[i + 1]!);
  }
  return { key, value, headers, offset: id, timestamp: idTime(id), deliveryCount };
}

function parseHeaders(b: Buffer): Headers {
  try {
    const h = JSON.parse(b.toString('utf8')) as unknown;
    if (h === null || typeof h !== 'object' || Array.isArray(h)) return {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(h)) if (typeof v === 'string') out[k] = v;
    return out;
  } catch {
    return {};
  }
}
