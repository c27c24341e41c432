import type { Logger } from '../handler/handler.js';
import type { Middleware } from './middleware.js';

/**
 * Logs each handling at `debug` (start, success with duration) and failures
 * at `warn`, with topic, partition, offset, key and attempt. Never logs values
 * or headers (they may hold personal data or secrets).
 */
export function logging(options: { readonly logger?: Logger; readonly now?: () => number } = {}): Middleware {
  const now = options.now ?? Date.now;
  return (next) => async (msg, ctx) => {
    const logger = options.logger ?? ctx.logger;
    const fields = {
      handler: ctx.handler,
      topic: msg.topic,
      partition: msg.partition,
      offset: msg.offset,
      key: msg.key,
      attempt: msg.attempt,
    };
    const start = now();
    logger.debug('handling message', fields);
    try {
      const result = await next(msg, ctx);
      logger.debug('message handled', { ...fields, durationMs: now() - start });
      return result;
    } catch (err) {
      logger.warn('message failed', {
        ...fields,
        durationMs: now() - start,
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      });
      throw err;
    }
  };
}
