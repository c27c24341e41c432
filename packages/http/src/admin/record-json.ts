import { recordId, type BrowsedRecord } from '@partita/core';

/** A browsed record as the admin API answers it (see docs: `RecordJson`). */
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

export function recordJson(r: BrowsedRecord): RecordJson {
  let text: string | undefined;
  if (r.value !== null) {
    try {
      text = utf8.decode(r.value);
    } catch {
      text = undefined;
    }
  }
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
