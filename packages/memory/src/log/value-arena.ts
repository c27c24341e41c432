/** Chunk size: above glibc's mmap threshold, so a freed chunk goes back to the OS. */
const CHUNK_BYTES = 2 ** 20;
/** Values above this get a buffer of their own. */
const LARGE_BYTES = CHUNK_BYTES / 4;

/**
 * Copies values of long-kept records (dead letters) into large shared chunks.
 * Kept as they arrive, such values would pin memory: a view into one of Node's
 * pooled 8 KiB `Buffer` slabs keeps the whole slab, and a small copy of its
 * own is a malloc'd block among freed ones, which keeps the allocator's pages
 * from going back to the OS (measured: ~11 KiB of RSS per kept 1 KiB dead
 * letter). Records leave a log oldest first, so a chunk is freed (by GC, once
 * no view into it is reachable) soon after its last record left.
 */
export class ValueArena {
  private chunk: Uint8Array | undefined;
  private used = 0;

  copy(value: Uint8Array | null): Uint8Array | null {
    if (value === null) return null;
    const n = value.byteLength;
    if (n > LARGE_BYTES) return value.slice();
    if (!this.chunk || this.used + n > this.chunk.byteLength) {
      this.chunk = new Uint8Array(CHUNK_BYTES);
      this.used = 0;
    }
    const out = this.chunk.subarray(this.used, this.used + n);
    out.set(value);
    this.used += n;
    return out;
  }
}
