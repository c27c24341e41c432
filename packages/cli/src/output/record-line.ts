import { recordId, valueText, type BrowsedRecord } from '@partita/core';
import type { Style } from './style.js';

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
