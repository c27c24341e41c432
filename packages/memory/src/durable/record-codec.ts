import { crc32 } from 'node:zlib';
import type { Headers } from '@partita/core';

/**
 * A batch frame: `u32 bodyLength | u32 crc32(body) | body`, little endian,
 * body = `u32 count | record × count`; record = `u32 recordLength | f64 offset
 * | f64 timestamp | f64 expiresAt | i32 priority | i32 keyLength (-1: no key)
 * | key | u32 headersLength | headers JSON | value`. One frame per append, so
 * a torn write loses (or keeps) a whole publish batch of a partition.
 */
export const FRAME_HEADER = 8;
const EMPTY: Headers = Object.freeze({});
const FIXED = 4 + 8 + 8 + 8 + 4 + 4 + 4;
/** Frames larger than this are treated as corruption on read. */
export const MAX_FRAME = 1024 * 2 ** 20;

export interface LogEntry {
  readonly offset: number;
  readonly timestamp: number;
  readonly expiresAt: number;
  readonly priority: number;
  readonly key: string | undefined;
  readonly headers: Headers;
  readonly value: Uint8Array;
}

/** Encoded headers of one record: undefined when empty. Caches by object identity (records of a batch often share it). */
let lastHeaders: Headers | undefined;
let lastHeadersBytes: Buffer | undefined;
function headersBytes(h: Headers): Buffer | undefined {
  if (h === lastHeaders) return lastHeadersBytes;
  let bytes: Buffer | undefined;
  for (const _ in h) {
    bytes = Buffer.from(JSON.stringify(h));
    break;
  }
  lastHeaders = h;
  lastHeadersBytes = bytes;
  return bytes;
}

/** What `encodeEntries` needs of a record: a log entry whose offset may still be a string (log records). */
/** `value: null` (a tombstone) is refused by the broker in durable mode before it gets here; it would encode as empty. */
export type EncodableEntry = Omit<LogEntry, 'offset' | 'value'> & {
  readonly offset: number | string;
  readonly value: Uint8Array | null;
};

/** UTF-8 length of a key; short ASCII keys are measured without a native call. */
function keyLength(key: string): number {
  if (key.length > 64) return Buffer.byteLength(key);
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0x7f) return Buffer.byteLength(key);
  return key.length;
}

/** Per-frame scratch (encoding is synchronous and never reentrant): key lengths and encoded headers by record index. */
let scratchKeyLens = new Int32Array(1024);
const scratchHeaders: (Buffer | undefined)[] = [];

/** First pass over a frame of `n` records: make room in the scratch. */
function beginMeasure(n: number): void {
  if (scratchKeyLens.length < n) scratchKeyLens = new Int32Array(Math.max(n, scratchKeyLens.length * 2));
}

/** Measure record `i` into the scratch; returns its encoded size. */
function measure(i: number, key: string | undefined, headers: Headers, value: Uint8Array | null): number {
  const k = key === undefined ? -1 : keyLength(key);
  scratchKeyLens[i] = k;
  const h = headersBytes(headers);
  scratchHeaders[i] = h;
  return FIXED + (k > 0 ? k : 0) + (h === undefined ? 0 : h.length) + (value === null ? 0 : value.byteLength);
}

/** The frame buffer of `total` bytes holding `n` records, with its record count written. */
function frame(total: number, n: number, alloc: (size: number) => Buffer): { buf: Buffer; dv: DataView } {
  const buf = alloc(total).subarray(0, total);
  const dv = new DataView(buf.buffer, buf.byteOffset, total);
  dv.setUint32(FRAME_HEADER, n, true);
  return { buf, dv };
}

/** Seal a frame: body length and CRC; clear the scratch. */
function seal(buf: Buffer, dv: DataView, total: number): Buffer {
  dv.setUint32(0, total - FRAME_HEADER, true);
  dv.setUint32(4, crc32(buf.subarray(FRAME_HEADER, total)), true);
  scratchHeaders.length = 0;
  return buf;
}

/**
 * Write record `i` at `start`: length, offset, timestamp, expiry, priority,
 * key (measured length from the scratch, -1 for none), headers, value.
 * Returns the position after it.
 */
function writeRecord(
  buf: Buffer,
  dv: DataView,
  start: number,
  i: number,
  offset: number,
  timestamp: number,
  expiresAt: number,
  priority: number,
  key: string | undefined,
  value: Uint8Array | null,
): number {
  const keyLen = scratchKeyLens[i]!;
  const headers = scratchHeaders[i];
  let p = start + 4;
  dv.setFloat64(p, offset, true);
  p += 8;
  dv.setFloat64(p, timestamp, true);
  p += 8;
  dv.setFloat64(p, expiresAt, true);
  p += 8;
  dv.setInt32(p, priority, true);
  p += 4;
  dv.setInt32(p, keyLen, true);
  p += 4;
  if (keyLen > 0) {
    if (keyLen === key!.length) {
      for (let j = 0; j < keyLen; j++) buf[p + j] = key!.charCodeAt(j);
      p += keyLen;
    } else p += buf.write(key!, p, 'utf8');
  }
  if (headers === undefined) {
    dv.setUint32(p, 0, true);
    p += 4;
  } else {
    dv.setUint32(p, headers.length, true);
    p += 4;
    buf.set(headers, p);
    p += headers.length;
  }
  if (value !== null) {
    buf.set(value, p);
    p += value.byteLength;
  }
  dv.setUint32(start, p - start, true);
  return p;
}

/**
 * Encode entries into one batch frame; `positions` receives each record's
 * start. `alloc` may return a reused scratch buffer (the result is a view of it).
 */
export function encodeEntries(
  entries: readonly EncodableEntry[],
  positions?: number[],
  alloc: (size: number) => Buffer = (size) => Buffer.allocUnsafe(size),
): Buffer {
  const n = entries.length;
  beginMeasure(n);
  let total = FRAME_HEADER + 4;
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    total += measure(i, e.key, e.headers, e.value);
  }
  const { buf, dv } = frame(total, n, alloc);
  let pos = FRAME_HEADER + 4;
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    positions?.push(pos);
    pos = writeRecord(
      buf,
      dv,
      pos,
      i,
      typeof e.offset === 'number' ? e.offset : +e.offset,
      e.timestamp,
      e.expiresAt,
      e.priority,
      e.key,
      e.value,
    );
  }
  return seal(buf, dv, total);
}

/** A record as published (core's `OutboundRecord` / the broker's `PublishRecord` fit). */
export interface PublishedLike {
  readonly key?: string;
  readonly value: Uint8Array | null;
  readonly headers?: Headers;
  readonly priority?: number;
  readonly ttlMs?: number;
}

/**
 * Encode `records[idx[0..]]` as one batch frame straight from the published
 * objects (no intermediate record objects): offsets `first + i`, one
 * timestamp, expiry `now + ttlMs`.
 */
export function encodeBatch(
  records: readonly PublishedLike[],
  idx: readonly number[],
  first: number,
  timestamp: number,
  now: number,
  alloc: (size: number) => Buffer,
): Buffer {
  const n = idx.length;
  beginMeasure(n);
  let total = FRAME_HEADER + 4;
  for (let i = 0; i < n; i++) {
    const r = records[idx[i]!]!;
    total += measure(i, r.key, r.headers ?? EMPTY, r.value);
  }
  const { buf, dv } = frame(total, n, alloc);
  let pos = FRAME_HEADER + 4;
  for (let i = 0; i < n; i++) {
    const r = records[idx[i]!]!;
    pos = writeRecord(
      buf,
      dv,
      pos,
      i,
      first + i,
      timestamp,
      r.ttlMs !== undefined ? now + r.ttlMs : 0,
      r.priority ?? 0,
      r.key,
      r.value,
    );
  }
  return seal(buf, dv, total);
}

/** Result of scanning a buffer of frames. */
export interface ScanResult {
  /** Bytes of valid frames from the start. */
  readonly validBytes: number;
  /** Why scanning stopped before the end, if it did. */
  readonly problem: string | undefined;
}

/**
 * Decode frames from `buf`, calling `onEntry(entry, position)` for each
 * valid one; stops at the first torn or corrupt frame. Values are views of `buf`.
 * Without `verifyChecksums` only the frame structure is checked.
 */
export function scanEntries(
  buf: Buffer,
  onEntry: (e: LogEntry, position: number) => boolean | void,
  verifyChecksums = true,
): ScanResult {
  let pos = 0;
  // records in a row often carry identical headers: parse once, share the (frozen) object
  let prevStart = -1;
  let prevLen = -1;
  let prevHeaders: Headers = EMPTY;
  while (pos < buf.length) {
    if (buf.length - pos < FRAME_HEADER)
      return { validBytes: pos, problem: `torn frame header (${buf.length - pos} bytes)` };
    const len = buf.readUInt32LE(pos);
    if (len < 4 || len > MAX_FRAME) return { validBytes: pos, problem: `invalid frame length ${len}` };
    if (buf.length - pos - FRAME_HEADER < len)
      return { validBytes: pos, problem: `torn frame (${buf.length - pos - FRAME_HEADER} of ${len} bytes)` };
    const frameEnd = pos + FRAME_HEADER + len;
    if (verifyChecksums && crc32(buf.subarray(pos + FRAME_HEADER, frameEnd)) !== buf.readUInt32LE(pos + 4))
      return { validBytes: pos, problem: 'checksum mismatch' };
    const count = buf.readUInt32LE(pos + FRAME_HEADER);
    // check the structure of the whole batch before handing out any record of it
    let r = pos + FRAME_HEADER + 4;
    for (let i = 0; i < count; i++) {
      if (frameEnd - r < FIXED) return { validBytes: pos, problem: 'invalid record in batch' };
      const recLen = buf.readUInt32LE(r);
      if (recLen < FIXED || recLen > frameEnd - r) return { validBytes: pos, problem: 'invalid record length' };
      r += recLen;
    }
    if (r !== frameEnd) return { validBytes: pos, problem: 'invalid batch length' };
    r = pos + FRAME_HEADER + 4;
    const batch: LogEntry[] = [];
    for (let i = 0; i < count; i++) {
      const end = r + buf.readUInt32LE(r);
      let p = r + 4;
      const offset = buf.readDoubleLE(p);
      p += 8;
      const timestamp = buf.readDoubleLE(p);
      p += 8;
      const expiresAt = buf.readDoubleLE(p);
      p += 8;
      const priority = buf.readInt32LE(p);
      p += 4;
      const keyLen = buf.readInt32LE(p);
      p += 4;
      if (keyLen > end - p - 4) return { validBytes: pos, problem: 'invalid key length' };
      const key = keyLen < 0 ? undefined : buf.toString('utf8', p, p + keyLen);
      if (keyLen > 0) p += keyLen;
      const hLen = buf.readUInt32LE(p);
      p += 4;
      if (hLen > end - p) return { validBytes: pos, problem: 'invalid headers length' };
      let headers: Headers;
      if (hLen === 0) headers = EMPTY;
      else if (hLen === prevLen && buf.compare(buf, prevStart, prevStart + prevLen, p, p + hLen) === 0)
        headers = prevHeaders;
      else {
        try {
          headers = Object.freeze(JSON.parse(buf.toString('utf8', p, p + hLen)) as Headers);
        } catch {
          return { validBytes: pos, problem: 'invalid headers' };
        }
        prevStart = p;
        prevLen = hLen;
        prevHeaders = headers;
      }
      p += hLen;
      if (i > 0 && offset !== batch[0]!.offset + i)
        return { validBytes: pos, problem: 'offsets not consecutive in batch' };
      batch.push({ offset, timestamp, expiresAt, priority, key, headers, value: buf.subarray(p, end) });
      r = end;
    }
    // the whole batch is valid: hand it out (the first record may still be refused as out of sequence)
    for (let i = 0; i < batch.length; i++) {
      if (onEntry(batch[i]!, pos) === false) {
        if (i === 0) return { validBytes: pos, problem: 'offset out of sequence' };
        throw new Error('scanEntries: a record inside a batch was refused after the first was accepted');
      }
    }
    pos = frameEnd;
  }
  return { validBytes: pos, problem: undefined };
}
