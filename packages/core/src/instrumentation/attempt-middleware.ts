import type { Middleware } from '../middleware/middleware.js';
import type { AttemptInfo, AttemptScope } from './instrumentation.js';

/**
 * The attempt hook for event-loop handlers: outermost middleware; the rest of
 * the chain runs inside the scope's `run`, the scope ends with the attempt
 * (or when `ctx.signal` aborts it: timeout, drain deadline).
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
    let ended = false;
    const end = (error?: unknown): void => {
      if (ended) return;
      ended = true;
      ctx.signal.removeEventListener('abort', onAbort);
      scope.end(error);
    };
    const onAbort = (): void => end(ctx.signal.reason ?? new Error('attempt aborted'));
    ctx.signal.addEventListener('abort', onAbort);
    let result: unknown;
    try {
      result = scope.run(() => next(msg, ctx));
    } catch (err) {
      end(err);
      throw err;
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function')
      return (result as Promise<unknown>).then(
        (v) => {
          end();
          return v;
        },
        (err: unknown) => {
          end(err);
          throw err;
        },
      );
    end();
    return result;
  };
}
