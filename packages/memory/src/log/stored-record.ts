import type { Headers, InboundRecord } from '@partita/core';

/**
 * A record as the broker keeps it in a partition log. It is delivered as is
 * (it satisfies core's `InboundRecord`), so fetching is a slice, not a copy.
 */
export interface StoredRecord extends InboundRecord {
  readonly key: string | undefined;
  readonly value: Uint8Array;
  readonly headers: Headers;
  readonly offset: string;
  readonly timestamp: number;
  /** Absolute expiry time (clock ms), 0 when the record never expires. */
  readonly expiresAt: number;
  /** Accounted size: key + value + header names and values. */
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
    readonly value: Uint8Array,
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
  readonly value: Uint8Array;
  readonly headers: Headers;
  readonly priority: number;
  readonly expiresAt: number;
  readonly dueAt: number;
  readonly bytes: number;
  readonly publishedAt: number;
  /** Durable mode: id in the staging journal. */
  stageId: number;
}

let lastHeaders: Headers | undefined;
let lastHeadersSize = 0;

/** Accounted size of a record (header size cached by object identity: batches often share one headers object). */
export function recordBytes(key: string | undefined, value: Uint8Array, headers: Headers): number {
  let n = value.byteLength + (key === undefined ? 0 : key.length);
  if (headers !== lastHeaders) {
    let h = 0;
    for (const k in headers) h += k.length + (headers[k]?.length ?? 0);
    lastHeaders = headers;
    lastHeadersSize = h;
  }
  return n + lastHeadersSize;
}

/** Usage counters shared by a topic and the broker for limits. */
export interface Usage {
  bytes: number;
  messages: number;
}
