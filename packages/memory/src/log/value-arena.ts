import type { Headers } from '@partita/core';
import type { StoredRecord } from './stored-record.js';

/** Chunk size: above glibc's mmap threshold, so a freed chunk goes back to the OS. */
const CHUNK_BYTES = 2 ** 20;
/** Values above this get a buffer of their own. */
const LARGE_BYTES = CHUNK_BYTES / 4;
const EMPTY_HEADERS: Headers = Object.freeze({}) as Headers;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Packs long-kept records (dead letters) into large shared chunks: the value's
 * bytes and the headers (as JSON) are copied in, the record keeps views. Kept
 * as they arrive, such records pin memory out of proportion to their size: a
 * value that is a view into one of Node's pooled 8 KiB `Buffer` slabs keeps the
 * whole slab, a small copy of its own is a malloc'd block among freed ones,
 * and a dozen header strings per record (a stack trace among them) live in
 * V8's old space between short-lived garbage (measured in the `soak` bench:
 * ~11 KiB of RSS per kept 1 KiB dead letter). Records leave a log oldest
 * first, so a chunk is freed (by GC, once no view into it is reachable) soon
 * after its last record left.
 */
export class ValueArena {
  private chunk: Uint8Array | undefined;
  private used = 0;

  /** Copy `n` bytes' worth of room; returns the view to fill. */
  private take(n: number): Uint8Array {
    if (n > LARGE_BYTES) return new Uint8Array(n);
    if (!this.chunk || this.used + n > this.chunk.byteLength) {
      this.chunk = new Uint8Array(CHUNK_BYTES);
      this.used = 0;
    }
    const out = this.chunk.subarray(this.used, this.used + n);
    this.used += n;
    return out;
  }

  copy(value: Uint8Array | null): Uint8Array | null {
    if (value === null) return null;
    const out = this.take(value.byteLength);
    out.set(value);
    return out;
  }

  /** A log record whose value and headers live in the arena (headers are decoded on each read). */
  record(key: string | undefined, value: Uint8Array | null, headers: Headers, seq: number, timestamp: number, expiresAt: number, bytes: number, priority: number): StoredRecord {
    let packed: Uint8Array | undefined;
    for (const _k in headers) {
      const json = encoder.encode(JSON.stringify(headers));
      packed = this.take(json.byteLength);
      packed.set(json);
      break;
    }
    return new PackedRecord(key, this.copy(value), packed, seq, timestamp, expiresAt, bytes, priority);
  }
}

/** A log record packed into a `ValueArena`. */
class PackedRecord implements StoredRecord {
  expired = false;
  constructor(
    readonly key: string | undefined,
    readonly value: Uint8Array | null,
    private readonly packedHeaders: Uint8Array | undefined,
    readonly seq: number,
    readonly timestamp: number,
    readonly expiresAt: number,
    readonly bytes: number,
    readonly priority: number,
  ) {}
  get offset(): string {
    return String(this.seq);
  }
  get headers(): Headers {
    return this.packedHeaders ? (JSON.parse(decoder.decode(this.packedHeaders)) as Headers) : EMPTY_HEADERS;
  }
}
