import type { HandleFn } from '../handler/handler.js';

/**
 * Wraps a handler: `(next) => (msg, ctx) => ...`. Call `next` to continue,
 * throw to fail the message. Applied outermost first.
 */
export type Middleware = (next: HandleFn) => HandleFn;

/** Compose middleware around `handler`, the first in the list outermost. */
export function compose(middleware: readonly Middleware[], handler: HandleFn): HandleFn {
  let fn = handler;
  for (let i = middleware.length - 1; i >= 0; i--) fn = middleware[i]!(fn);
  return fn;
}
