import { recordId, type BrowsedRecord } from '@partita/core';
import type { Style } from './style.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The value as UTF-8 text, or undefined when it is not valid UTF-8 (or a tombstone). */
export function valueText(value: Uint8Array | null): string | undefined {
  if (value === null) return undefined;
  try {
    return decoder.decode(value);
  } catch {
    return undefined;
  }
}

/**
 * A record as JSON, in the admin HTTP API's shape: `id` (`<partition>:<position>`),
 * `value` base64 (null for a tombstone), `text` when the value is UTF-8.
 */
export function recordJson(r: BrowsedRecord): Record<string, unknown> {
  const text = valueText(r.value);
  return {
    id: recordId(r),
    topic: r.topic,
    partition: r.partition,
    position: r.position,
    key: r.key ?? null,
    headers: r.headers,
    timestamp: r.timestamp,
    value: r.value === null ? null : Buffer.from(r.value).toString('base64'),
    ...(text !== undefined ? { text } : {}),
  };
}

/** One line for a terminal: id, time, key, value (text, or its size when binary), headers when asked. */
export function recordLine(r: BrowsedRecord, style: Style, headers: boolean): string {
  const text =
    r.value === null
      ? style.dim('(tombstone)')
      : (valueText(r.value) ?? style.dim(`(${r.value.byteLength} bytes, binary)`));
  const hs = Object.entries(r.headers);
  const shownHeaders = headers && hs.length > 0 ? ' ' + style.dim(hs.map(([k, v]) => `${k}=${v}`).join(' ')) : '';
  return `${style.cyan(recordId(r))} ${style.dim(new Date(r.timestamp).toISOString())} ${r.key === undefined ? style.dim('-') : r.key} ${text.replace(/\r?\n/g, '⏎')}${shownHeaders}`;
}
