import type { SerializedError } from '@partita/core';

/** Longest stack kept on a serialized error (docs/design.md §5: ≤ 4 KiB). */
const MAX_STACK = 4096;
const FINAL_NAMES = new Set([
  'NonRetryableError',
  'DecodeError',
  'ConfigError',
  'MaxRetriesExceededError',
  'MessageRejectedError',
]);

/**
 * Whether an error that may come from another realm (a worker's own copy of
 * `@partita/core`) is worth retrying: `false` for the non-retryable partita
 * error names and for any error carrying `retryable: false`.
 */
export function retryableAcrossRealms(err: unknown): boolean {
  if (err !== null && typeof err === 'object') {
    if ('retryable' in err && typeof (err as { retryable?: unknown }).retryable === 'boolean') {
      return (err as { retryable: boolean }).retryable;
    }
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string' && FINAL_NAMES.has(name)) return false;
  }
  return true;
}

/** Turn anything thrown into a compact, cloneable `SerializedError`. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error || (err !== null && typeof err === 'object' && 'message' in err)) {
    const e = err as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown };
    const out: { name: string; message: string; stack?: string; code?: string; retryable: boolean } = {
      name: typeof e.name === 'string' && e.name !== '' ? e.name : 'Error',
      message: String(e.message),
      retryable: retryableAcrossRealms(err),
    };
    if (typeof e.stack === 'string') out.stack = e.stack.length > MAX_STACK ? e.stack.slice(0, MAX_STACK) : e.stack;
    if (typeof e.code === 'string') out.code = e.code;
    return out;
  }
  let message: string;
  try {
    message = typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err));
  } catch {
    message = String(err);
  }
  return { name: 'Error', message: `non-error thrown: ${message}`, retryable: true };
}
