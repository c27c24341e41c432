import { envReader, type Env } from '../config/env-reader.js';
import { createConsoleLogger, type ConsoleLogger } from './console-logger.js';
import { LOG_LEVEL_NAMES } from './logger.js';

/**
 * The logger of anything given none: `createConsoleLogger` at the level of
 * `PARTITA_LOG_LEVEL` (default `info`). `createApp` uses it when no `logger`
 * is given; a connector or worker pool used without an app uses it too. A
 * bad `PARTITA_LOG_LEVEL` is a `ConfigError` naming the variable.
 */
export function defaultLogger(env: Env = process.env): ConsoleLogger {
  return createConsoleLogger({ level: envReader(env).oneOf('PARTITA_LOG_LEVEL', LOG_LEVEL_NAMES) ?? 'info' });
}
