import type { DeadLetterFilter, OutboundRecord, ReadOptions } from '@partita/core';
import { badRequest } from './http-error.js';

/** Most records one read answers (`limit`). */
export const MAX_READ_LIMIT = 1000;
/** Most records one publish request carries. */
export const MAX_PUBLISH_RECORDS = 1000;

const FILTER_FIELDS = ['reason', 'errorName', 'key', 'group'] as const;

function only(what: string, body: Record<string, unknown>, fields: readonly string[]): void {
  for (const k of Object.keys(body))
    if (!fields.includes(k)) throw badRequest(`${what}: unknown field "${k}"; expected ${fields.join(', ')}`);
}

function optionalString(field: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw badRequest(`"${field}" must be a non-empty string`);
  return v;
}

/** A time as ms since the epoch, from a number or an ISO-8601 text. */
function time(field: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const ms = typeof v === 'number' ? v : typeof v !== 'string' ? NaN : /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms))
    throw badRequest(`"${field}" must be a time: ms since the epoch or ISO 8601 (got ${JSON.stringify(v)})`);
  return ms;
}

function integer(field: string, v: string | null, min: number, max: number): number | undefined {
  if (v === null) return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max)
    throw badRequest(`query "${field}" must be an integer from ${min} to ${max} (got ${JSON.stringify(v)})`);
  return n;
}

/** A dead-letter filter from query parameters or a JSON object (strings; `since`/`until` as ms or ISO 8601). */
export function deadLetterFilter(prefix: string, get: (field: string) => unknown): DeadLetterFilter {
  const out: Record<string, string | number> = {};
  for (const f of FILTER_FIELDS) {
    const v = optionalString(`${prefix}${f}`, get(f));
    if (v !== undefined) out[f] = v;
  }
  for (const f of ['since', 'until'] as const) {
    const v = time(`${prefix}${f}`, get(f));
    if (v !== undefined) out[f] = v;
  }
  return out;
}

/** `GET /api/topics/:topic/records` query: where to read and which dead letters to keep. */
export function recordsQuery(params: URLSearchParams): { read: ReadOptions; filter: DeadLetterFilter } {
  const allowed = ['from', 'partition', 'limit', ...FILTER_FIELDS, 'since', 'until'];
  for (const k of params.keys())
    if (!allowed.includes(k)) throw badRequest(`unknown query parameter "${k}"; expected ${allowed.join(', ')}`);
  const from = params.get('from');
  if (from !== null && from === '') throw badRequest('query "from" must be earliest, latest or a position');
  const partition = integer('partition', params.get('partition'), 0, 2 ** 31 - 1);
  const limit = integer('limit', params.get('limit'), 1, MAX_READ_LIMIT) ?? 100;
  const filter = deadLetterFilter('', (f) => params.get(f) ?? undefined);
  return {
    read: { ...(from !== null ? { from } : {}), ...(partition !== undefined ? { partition } : {}), limit },
    filter,
  };
}

function headers(field: string, v: unknown): Record<string, string> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw badRequest(`"${field}" must be an object of string values`);
  for (const [k, x] of Object.entries(v))
    if (typeof x !== 'string') throw badRequest(`"${field}.${k}" must be a string`);
  return v as Record<string, string>;
}

/** `POST /api/topics/:topic/records` body: `{ records: [{ key?, headers?, value? | valueBase64? }] }`. */
export function publishBody(topic: string, body: Record<string, unknown>): OutboundRecord[] {
  only('body', body, ['records']);
  const list = body.records;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_PUBLISH_RECORDS)
    throw badRequest(`"records" must be an array of 1 to ${MAX_PUBLISH_RECORDS} records`);
  return list.map((r: unknown, i) => {
    const at = `records[${i}]`;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw badRequest(`"${at}" must be an object`);
    const rec = r as Record<string, unknown>;
    only(at, rec, ['key', 'headers', 'value', 'valueBase64']);
    const key = rec.key;
    if (key !== undefined && typeof key !== 'string') throw badRequest(`"${at}.key" must be a string`);
    if (rec.value !== undefined && rec.valueBase64 !== undefined)
      throw badRequest(`"${at}": give "value" (UTF-8 text) or "valueBase64", not both`);
    let value: Uint8Array | null = null;
    if (rec.value !== undefined) {
      if (typeof rec.value !== 'string')
        throw badRequest(`"${at}.value" must be a string (UTF-8 text); for bytes use "valueBase64"`);
      value = new TextEncoder().encode(rec.value);
    } else if (rec.valueBase64 !== undefined) {
      const b64 = rec.valueBase64;
      if (typeof b64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0)
        throw badRequest(`"${at}.valueBase64" must be base64 text`);
      value = new Uint8Array(Buffer.from(b64, 'base64'));
    }
    return { topic, ...(key !== undefined ? { key } : {}), value, headers: headers(`${at}.headers`, rec.headers) };
  });
}

function ids(field: string, v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !/^\d+:.+$/.test(x)))
    throw badRequest(
      `"${field}" must be an array of record ids "<partition>:<position>" (as the records route gives them)`,
    );
  return v as string[];
}

/** `POST /api/dead-letters/:topic/redrive` body. */
export function redriveBody(body: Record<string, unknown>): {
  ids?: string[];
  filter: DeadLetterFilter;
  dryRun: boolean;
  ratePerSec?: number;
} {
  only('body', body, ['ids', 'filter', 'dryRun', 'ratePerSec']);
  const f = body.filter;
  if (f !== undefined && (typeof f !== 'object' || f === null || Array.isArray(f)))
    throw badRequest('"filter" must be an object like { reason, errorName, key, group, since, until }');
  const fo = (f ?? {}) as Record<string, unknown>;
  only('filter', fo, [...FILTER_FIELDS, 'since', 'until']);
  const filter = deadLetterFilter('filter.', (k) => fo[k]);
  if (body.dryRun !== undefined && typeof body.dryRun !== 'boolean') throw badRequest('"dryRun" must be true or false');
  const rate = body.ratePerSec;
  if (rate !== undefined && (typeof rate !== 'number' || !(rate > 0) || !Number.isFinite(rate)))
    throw badRequest('"ratePerSec" must be a positive number (records per second)');
  const picked = ids('ids', body.ids);
  return {
    ...(picked !== undefined ? { ids: picked } : {}),
    filter,
    dryRun: body.dryRun === true,
    ...(rate !== undefined ? { ratePerSec: rate } : {}),
  };
}

/** `POST /api/topics/:topic/purge` body: `{ positions? }` (none: the whole topic). */
export function purgeBody(body: Record<string, unknown>): string[] | undefined {
  only('body', body, ['positions']);
  const p = ids('positions', body.positions);
  if (p !== undefined && p.length === 0)
    throw badRequest('"positions" must name at least one record; leave it out to purge the whole topic');
  return p;
}
