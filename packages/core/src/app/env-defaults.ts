import { fromEnv } from '../config/from-env.js';
import type { Env } from '../config/env-reader.js';
import type { AnyHandlerDefinition } from '../handler/handler.js';
import { createConsoleLogger } from '../logger/console-logger.js';
import type { Logger } from '../logger/logger.js';
import { redactingLogger } from '../logger/redacting-logger.js';
import type { AppOptions } from './app-types.js';

/** What `createApp` takes from the environment when an option is not given. */
export interface EnvDefaults {
  readonly handlers: readonly AnyHandlerDefinition[];
  readonly dlqSuffix: string;
  readonly logger: Logger;
}

/**
 * Apply the generic `PARTITA_*` variables with the precedence
 * explicit option > environment > built-in default:
 * - `PARTITA_RETRY_MAX_ATTEMPTS`, `PARTITA_RETRY_INITIAL_MS`, `PARTITA_RETRY_MAX_MS`
 *   replace the defaults of handlers that did not set them;
 * - `PARTITA_DLQ_SUFFIX` is the suffix when `dlqSuffix` is not given;
 * - `PARTITA_LOG_LEVEL` is the level of the default logger (ignored with `logger`).
 * Either logger is wrapped by `redactingLogger`: secrets never reach it.
 * A bad value is a `ConfigError` naming the variable.
 */
export function envDefaults(options: AppOptions, env: Env): EnvDefaults {
  const config = fromEnv(env);
  const { maxAttempts } = config.retry;
  const { initialMs, maxMs } = config.retry.backoff ?? {};
  const handlers = (options.handlers ?? []).map((h) => {
    const defaulted = h.defaulted ?? [];
    const take = <V>(option: (typeof defaulted)[number], envValue: V | undefined, current: V): V =>
      envValue !== undefined && defaulted.includes(option) ? envValue : current;
    const retry = {
      ...h.retry,
      maxAttempts: take('retry.maxAttempts', maxAttempts, h.retry.maxAttempts),
      backoff: {
        ...h.retry.backoff,
        initialMs: take('retry.backoff.initialMs', initialMs, h.retry.backoff.initialMs),
        maxMs: take('retry.backoff.maxMs', maxMs, h.retry.backoff.maxMs),
      },
    };
    const changed =
      retry.maxAttempts !== h.retry.maxAttempts ||
      retry.backoff.initialMs !== h.retry.backoff.initialMs ||
      retry.backoff.maxMs !== h.retry.backoff.maxMs;
    return changed
      ? Object.freeze({ ...h, retry: Object.freeze({ ...retry, backoff: Object.freeze(retry.backoff) }) })
      : h;
  });
  return {
    handlers,
    dlqSuffix: options.dlqSuffix ?? config.dlqSuffix,
    logger: redactingLogger(options.logger ?? createConsoleLogger({ level: config.logLevel })),
  };
}
