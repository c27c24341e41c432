import type { Headers } from '@partita/core';
import { LogRecord, type StoredRecord } from './stored-record.js';

/** Chunk size. */
const CHUNK_BYTES = 2 ** 20;
/** Values (with their headers) above this get a chunk of their own, not recycled. */
const LARGE_BYTES = CHUNK_BYTES / 4;
/** Empty chunks kept for reuse. */
const SPARE_CHUNKS = 4;
const EMPTY_HEADERS: Headers = Object.freeze({});
const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Chunk {
  readonly bytes: Uint8Array;
  used: number;
  /** Records packed here and still in the log. */
  live: number;
}

/**
 * Packs long-kept records (dead letters) into recycled 1 MiB chunks: the
 * value's bytes and the headers (as JSON) are copied in; the log keeps a small
 * `PackedRecord` pointing at them, and reads hand out plain copies. Kept as
 * they arrive, such records cost memory far beyond their size (measured in the
 * `soak` bench: ~11 KiB of RSS per kept 1 KiB dead letter): a value that is a
 * view into one of Node's pooled 8 KiB `Buffer` slabs keeps the whole slab, a
 * small copy of its own is a malloc'd block among freed ones, a dozen header
 * strings per record (a stack trace among them) sit in V8's old space, and
 * chunks left to the garbage collector wait for a major GC. Records leave a
 * log oldest first, so a chunk empties soon after the records packed into it
 * left, and is reused at once.
 */
export class ValueArena {
  private current: Chunk | undefined;
  private readonly spare: Uint8Array[] = [];

  private room(n: number): Chunk {
    if (n > LARGE_BYTES) return { bytes: new Uint8Array(n), used: 0, live: 0 };
    const c = this.current;
    if (c && c.used + n <= c.bytes.byteLength) return c;
    if (c && c.live === 0) this.recycle(c);
    this.current = { bytes: this.spare.pop() ?? new Uint8Array(CHUNK_BYTES), used: 0, live: 0 };
    return this.current;
  }

  private recycle(c: Chunk): void {
    if (c.bytes.byteLength === CHUNK_BYTES && this.spare.length < SPARE_CHUNKS) this.spare.push(c.bytes);
  }

  /** A log record whose value and headers are packed here. */
  record(
    key: string | undefined,
    value: Uint8Array | null,
    headers: Headers,
    seq: number,
    timestamp: number,
    expiresAt: number,
    bytes: number,
    priority: number,
  ): StoredRecord {
    let json: Uint8Array | undefined;
    for (const _k in headers) {
      json = encoder.encode(JSON.stringify(headers));
      break;
    }
    const vLen = value === null ? 0 : value.byteLength;
    const hLen = json === undefined ? 0 : json.byteLength;
    const chunk = this.room(vLen + hLen);
    const at = chunk.used;
    if (value !== null) chunk.bytes.set(value, at);
    if (json !== undefined) chunk.bytes.set(json, at + vLen);
    chunk.used += vLen + hLen;
    chunk.live++;
    return new PackedRecord(
      key,
      chunk,
      at,
      value === null ? -1 : vLen,
      hLen,
      seq,
      timestamp,
      expiresAt,
      bytes,
      priority,
    );
  }

  /** The record left the log: its chunk is reused once every record packed there left. */
  release(rec: StoredRecord): void {
    if (!(rec instanceof PackedRecord)) return;
    const c = rec.chunk;
    if (--c.live === 0 && c !== this.current) this.recycle(c);
  }

  /** A plain copy of a packed record, safe to hand out (its chunk may be reused later). */
  materialize(rec: StoredRecord): StoredRecord {
    if (!(rec instanceof PackedRecord)) return rec;
    const { chunk, at, vLen, hLen } = rec;
    const value = vLen < 0 ? null : chunk.bytes.slice(at, at + vLen);
    const v = vLen < 0 ? 0 : vLen;
    const headers =
      hLen === 0 ? EMPTY_HEADERS : (JSON.parse(decoder.decode(chunk.bytes.subarray(at + v, at + v + hLen))) as Headers);
    const out = new LogRecord(rec.key, value, headers, rec.seq, rec.timestamp, rec.expiresAt, rec.bytes, rec.priority);
    out.expired = rec.expired;
    return out;
  }
}

/** A log record packed into a `ValueArena` chunk; never handed out (reads materialize it). */
class PackedRecord implements StoredRecord {
  expired = false;
  constructor(
    readonly key: string | undefined,
    readonly chunk: Chunk,
    readonly at: number,
    /** Value length; -1 for a tombstone. */
    readonly vLen: number,
    readonly hLen: number,
    readonly seq: number,
    readonly timestamp: number,
    readonly expiresAt: number,
    readonly bytes: number,
    readonly priority: number,
  ) {}
  get offset(): string {
    return String(this.seq);
  }
  get value(): Uint8Array | null {
    return this.vLen < 0 ? null : this.chunk.bytes.slice(this.at, this.at + this.vLen);
  }
  get headers(): Headers {
    if (this.hLen === 0) return EMPTY_HEADERS;
    const v = this.vLen < 0 ? 0 : this.vLen;
    return JSON.parse(decoder.decode(this.chunk.bytes.subarray(this.at + v, this.at + v + this.hLen))) as Headers;
  }
}
