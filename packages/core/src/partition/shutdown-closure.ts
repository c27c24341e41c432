/**
 * Whether a failed attempt ended because partita itself is closing: a
 * `ClosedError` (ERR_CLOSED) from the app, the executor or the transport,
 * also one that crossed a worker thread (only its name and code survive).
 * Such an attempt gets no verdict: the message stays unsettled and the
 * broker redelivers it, rather than being retried or dead-lettered.
 */
export function isShutdownClosure(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const { code, name } = err as { code?: unknown; name?: unknown };
  return code === 'ERR_CLOSED' || name === 'ClosedError';
}
