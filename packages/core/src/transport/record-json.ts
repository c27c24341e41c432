import { recordId } from '../redrive/redrive-dead-letters.js';
import type { BrowsedRecord } from './transport-admin.js';

/**
 * A browsed record as JSON: what the admin HTTP API answers and what the
 * `partita` command prints with `--json`. `recordFromJson` reads it back.
 */
export interface RecordJson {
  /** `<partition>:<position>`, as redrive `ids` and purge `positions` take it. */
  readonly id: string;
  readonly topic: string;
  readonly partition: number;
  readonly position: string;
  readonly key: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestamp: number;
  /** The value's bytes in base64; null for a tombstone. */
  readonly value: string | null;
  /** The value as text, when its bytes are valid UTF-8. */
  readonly text?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The value as UTF-8 text, or undefined when it is not valid UTF-8 (or a tombstone). */
export function valueText(value: Uint8Array | null): string | undefined {
  if (value === null) return undefined;
  try {
    return utf8.decode(value);
  } catch {
    return undefined;
  }
}

export function recordJson(r: BrowsedRecord): RecordJson {
  const text = valueText(r.value);
  return {
    id: recordId(r),
    topic: r.topic,
    partition: r.partition,
    position: r.position,
    key: r.key ?? null,
    headers: r.headers,
    timestamp: r.timestamp,
    value:
      r.value === null ? null : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength).toString('base64'),
    ...(text !== undefined ? { text } : {}),
  };
}

/** The record a `RecordJson` describes (`text` is ignored: `value` holds the bytes). */
export function recordFromJson(j: RecordJson): BrowsedRecord {
  return {
    topic: j.topic,
    partition: j.partition,
    position: j.position,
    key: j.key ?? undefined,
    headers: j.headers ?? {},
    timestamp: j.timestamp,
    value: j.value === null ? null : new Uint8Array(Buffer.from(j.value, 'base64')),
  };
}
