import type { Logger } from '../logger/logger.js';
import { messageLogFields } from '../logger/message-log-fields.js';
import type { Middleware } from './middleware.js';

/**
 * Logs each handling at `debug` (start, success with `durationMs`) and
 * failures at `warn` (with `err`). Lines go to `ctx.logger`, which carries
 * the lane (`handler`, `group`, `topic`, `partition`) and the message
 * (`offset`, `attempt`, `keyHash`, `traceId`); with `options.logger` those
 * fields are added to its lines. Never logs keys, values or headers (they
 * may hold personal data or secrets).
 */
export function logging(options: { readonly logger?: Logger; readonly now?: () => number } = {}): Middleware {
  const now = options.now ?? Date.now;
  return (next) => async (msg, ctx) => {
    const logger =
      options.logger?.child({
        handler: ctx.handler,
        group: ctx.group,
        topic: msg.topic,
        partition: msg.partition,
        ...messageLogFields(msg),
      }) ?? ctx.logger;
    const start = now();
    logger.debug('handling message');
    try {
      const result = await next(msg, ctx);
      logger.debug({ durationMs: now() - start }, 'message handled');
      return result;
    } catch (err) {
      logger.warn({ durationMs: now() - start, err }, 'message failed');
      throw err;
    }
  };
}
