import type { Middleware } from '../middleware/middleware.js';
import type { AttemptInfo, AttemptScope } from './instrumentation.js';

/**
 * The attempt hook for event-loop handlers: outermost middleware; the rest of
 * the chain runs inside the scope's `run`, and the scope ends when the handler
 * returns or settles. An attempt past its deadline ends when its handler gives
 * up (handlers are to honour `ctx.signal`); one that never settles leaves its
 * scope open (no per-message abort listener: it would cost every attempt).
 */
export function attemptMiddleware(hook: (info: AttemptInfo) => AttemptScope | undefined, system: string): Middleware {
  return (next) => (msg, ctx) => {
    const scope = hook({
      system,
      handler: ctx.handler,
      group: ctx.group,
      topic: msg.topic,
      partition: msg.partition,
      offset: msg.offset,
      id: msg.id,
      key: msg.key,
      headers: msg.headers,
      attempt: msg.attempt,
      worker: false,
    });
    if (scope === undefined) return next(msg, ctx);
    let result: unknown;
    try {
      result = scope.run(() => next(msg, ctx));
    } catch (err) {
      scope.end(err);
      throw err;
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function')
      return (result as Promise<unknown>).then(
        (v) => {
          scope.end();
          return v;
        },
        (err: unknown) => {
          scope.end(err);
          throw err;
        },
      );
    scope.end();
    return result;
  };
}
