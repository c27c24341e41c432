import type { Headers, OutboundRecord } from '@partita/core';

/** One record a worker handler published, as it crosses back to the main thread. */
export interface WireRecord {
  /** Index of the message (in its task) whose attempt published it. */
  readonly index: number;
  readonly topic: string;
  readonly key?: string;
  readonly headers: Headers;
  readonly partition?: number;
  readonly delayMs?: number;
  readonly priority?: number;
  readonly ttlMs?: number;
  /**
   * Where the value is: `-1` a tombstone; `k ≥ 0` bytes `[start, end)` of
   * `buffers[k]`.
   */
  readonly buffer: number;
  readonly start: number;
  readonly end: number;
}

/**
 * The records of one task's successful attempts. Small values travel copied
 * into one packed buffer (a structured-cloned view would copy its whole
 * backing buffer, and codec output often shares one); a value from
 * `TRANSFER_VALUE_MIN_BYTES` on that owns its buffer is transferred as it is.
 */
export interface WirePublished {
  readonly records: readonly WireRecord[];
  readonly buffers: readonly ArrayBuffer[];
}

/** Values at least this large are transferred rather than copied. */
export const TRANSFER_VALUE_MIN_BYTES = 64 * 1024;

/** A record staged by `ctx.publish` in a worker, already encoded. */
export interface StagedRecord extends Omit<WireRecord, 'index' | 'buffer' | 'start' | 'end'> {
  readonly value: Uint8Array | null;
}

/** Pack the staged records of successful attempts (worker side); returns the buffers to transfer. */
export function packPublished(staged: readonly { readonly index: number; readonly record: StagedRecord }[]): {
  published: WirePublished;
  transfer: ArrayBuffer[];
} {
  let packedBytes = 0;
  for (const { record } of staged) {
    const v = record.value;
    if (v !== null && !ownsBuffer(v)) packedBytes += v.byteLength;
  }
  const packed = new Uint8Array(packedBytes);
  const buffers: ArrayBuffer[] = [packed.buffer];
  const transfer: ArrayBuffer[] = [];
  const records: WireRecord[] = [];
  let pos = 0;
  for (const { index, record } of staged) {
    const { value, ...rest } = record;
    if (value === null) {
      records.push({ index, ...rest, buffer: -1, start: 0, end: 0 });
    } else if (ownsBuffer(value)) {
      buffers.push(value.buffer as ArrayBuffer);
      transfer.push(value.buffer as ArrayBuffer);
      records.push({ index, ...rest, buffer: buffers.length - 1, start: 0, end: value.byteLength });
    } else {
      packed.set(value, pos);
      records.push({ index, ...rest, buffer: 0, start: pos, end: pos + value.byteLength });
      pos += value.byteLength;
    }
  }
  if (packedBytes >= TRANSFER_VALUE_MIN_BYTES) transfer.push(packed.buffer);
  return { published: { records, buffers }, transfer };
}

/** A large value that is the whole of its (non-shared) buffer can be transferred without a copy. */
function ownsBuffer(v: Uint8Array): boolean {
  return (
    v.byteLength >= TRANSFER_VALUE_MIN_BYTES &&
    v.byteOffset === 0 &&
    v.byteLength === v.buffer.byteLength &&
    v.buffer instanceof ArrayBuffer
  );
}

/** The records published by each message of a task (main side), by message index. */
export function unpackPublished(published: WirePublished, count: number): (OutboundRecord[] | undefined)[] {
  const out = new Array<OutboundRecord[] | undefined>(count);
  for (const r of published.records) {
    const { index, buffer, start, end, ...rest } = r;
    const value = buffer < 0 ? null : new Uint8Array(published.buffers[buffer]!, start, end - start);
    (out[index] ??= []).push({ ...rest, value });
  }
  return out;
}
