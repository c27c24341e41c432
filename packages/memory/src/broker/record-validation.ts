import type { PublishRecord } from './broker-types.js';

/** Check one record's shape; throws TypeError/RangeError naming the field. */
export function validateRecord(r: PublishRecord, i: number): void {
  if (r === null || typeof r !== 'object') throw new TypeError(`records[${i}] must be an object`);
  if (typeof r.topic !== 'string' || r.topic === '')
    throw new TypeError(`records[${i}].topic must be a non-empty string`);
  if (r.value !== null && !(r.value instanceof Uint8Array))
    throw new TypeError(`records[${i}].value must be a Uint8Array, or null for a tombstone`);
  if (r.key !== undefined && typeof r.key !== 'string')
    throw new TypeError(`records[${i}].key must be a string or undefined`);
  if (r.partition !== undefined && (!Number.isInteger(r.partition) || r.partition < 0))
    throw new RangeError(`records[${i}].partition must be a non-negative integer, got ${String(r.partition)}`);
  if (r.delayMs !== undefined && !(typeof r.delayMs === 'number' && r.delayMs >= 0 && Number.isFinite(r.delayMs)))
    throw new RangeError(`records[${i}].delayMs must be a finite number >= 0, got ${String(r.delayMs)}`);
  if (r.deliverAt !== undefined && !(typeof r.deliverAt === 'number' && Number.isFinite(r.deliverAt)))
    throw new RangeError(`records[${i}].deliverAt must be a finite clock time in ms, got ${String(r.deliverAt)}`);
  if (r.ttlMs !== undefined && !(typeof r.ttlMs === 'number' && r.ttlMs > 0))
    throw new RangeError(`records[${i}].ttlMs must be a number > 0, got ${String(r.ttlMs)}`);
  if (r.priority !== undefined && !Number.isInteger(r.priority))
    throw new RangeError(`records[${i}].priority must be an integer, got ${String(r.priority)}`);
}

/** Parse an offset given as number or integer string. */
export function parseOffset(v: number | string, name: string): number {
  const n = typeof v === 'string' ? (/^\d+$/.test(v) ? Number(v) : NaN) : v;
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`"${name}" must be a non-negative integer (or integer string), got ${String(v)}`);
  return n;
}
