import type { Middleware } from './middleware.js';

/**
 * Turns anything a handler throws or rejects with into a proper `Error`
 * (strings, objects, `undefined`), keeping the original as `cause`, so retry,
 * dead-letter headers and logs always have a name, message and stack.
 */
export function recovery(): Middleware {
  return (next) => async (msg, ctx) => {
    try {
      return await next(msg, ctx);
    } catch (err) {
      if (err instanceof Error) throw err;
      const text =
        typeof err === 'string'
          ? err
          : (() => {
              try {
                return JSON.stringify(err);
              } catch {
                return String(err);
              }
            })();
      throw new Error(`handler threw a non-Error value: ${text}`, { cause: err });
    }
  };
}
