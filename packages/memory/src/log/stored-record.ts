import type { Headers, InboundRecord } from '@partita/core';

/**
 * A record as the broker keeps it in a partition log. It is delivered as is
 * (it satisfies core's `InboundRecord`), so fetching is a slice, not a copy.
 */
export interface StoredRecord extends InboundRecord {
  readonly key: string | undefined;
  /** `null` is a tombstone. */
  readonly value: Uint8Array | null;
  readonly headers: Headers;
  readonly offset: string;
  readonly timestamp: number;
  /** Absolute expiry time (clock ms), 0 when the record never expires. */
  readonly expiresAt: number;
  /** Accounted size: key + value + header names and values, plus the broker's per-record overhead (`RECORD_OVERHEAD_BYTES`). */
  readonly bytes: number;
  readonly priority: number;
  /** Set once the broker found the record expired (it is then never delivered). */
  expired: boolean;
}

/**
 * The in-memory log's record. The offset is kept as a number and turned
 * into the SPI's string only when read: a million retained records then hold
 * no offset strings (a third of the broker's GC work on bulk publish).
 */
export class LogRecord implements StoredRecord {
  expired = false;
  constructor(
    readonly key: string | undefined,
    readonly value: Uint8Array | null,
    readonly headers: Headers,
    readonly seq: number,
    readonly timestamp: number,
    readonly expiresAt: number,
    readonly bytes: number,
    readonly priority: number,
  ) {}
  get offset(): string {
    return String(this.seq);
  }
}

/** A record accepted by the broker but not yet in the log: delayed, or waiting behind higher priorities. */
export interface StagedRecord {
  readonly key: string | undefined;
  readonly value: Uint8Array | null;
  readonly headers: Headers;
  readonly priority: number;
  readonly expiresAt: number;
  readonly dueAt: number;
  readonly bytes: number;
  readonly publishedAt: number;
  /** Durable mode: id in the staging journal. */
  stageId: number;
}

/**
 * Heap a retained record costs beyond its payload bytes: the record object,
 * the value's `Uint8Array` and `ArrayBuffer` objects, the key string and the
 * log's slot. Measured with `process.memoryUsage().heapUsed` on Node 20 for
 * 100-byte values (about 360 bytes of heap per record against 133 payload
 * bytes); counted so that the broker's `bytes` (and its `maxBytes`) track the
 * heap a record really takes.
 */
export const RECORD_OVERHEAD_BYTES = 256;

/** Heap per header entry beyond its name and value characters (a string and a property slot). */
const HEADER_OVERHEAD_BYTES = 24;

let lastHeaders: Headers | undefined;
let lastHeadersSize = 0;
let lastHeadersOverhead = 0;

function measureHeaders(headers: Headers): void {
  if (headers === lastHeaders) return;
  let h = 0;
  let o = 0;
  for (const k in headers) {
    h += k.length + (headers[k]?.length ?? 0);
    o += HEADER_OVERHEAD_BYTES;
  }
  lastHeaders = headers;
  lastHeadersSize = h;
  lastHeadersOverhead = o;
}

/** Payload size of a record: key + value + header names and values (what `maxMessageBytes` limits). */
export function recordBytes(key: string | undefined, value: Uint8Array | null, headers: Headers): number {
  measureHeaders(headers);
  return (value === null ? 0 : value.byteLength) + (key === undefined ? 0 : key.length) + lastHeadersSize;
}

/** Accounted size of a retained record: its payload plus the heap overhead of the record and its headers. Header sizes are cached by object identity: batches often share one headers object. */
export function heldBytes(payload: number, headers: Headers): number {
  measureHeaders(headers);
  return payload + RECORD_OVERHEAD_BYTES + lastHeadersOverhead;
}

/** Usage counters shared by a topic and the broker for limits. */
export interface Usage {
  bytes: number;
  messages: number;
}
