import { optionError } from '../options/option-error.js';

/**
 * One log method in pino's shape: `(obj, msg?)` with the fields first, or
 * `(msg)` alone. An `Error` as `obj` is logged under `err` (pino's
 * convention); partita itself always passes errors as `{ err }`.
 */
export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

/**
 * partita's logger: pino's shape, so a pino instance is accepted as it is
 * (`createApp({ logger: pino() })`), and so is any logger with these methods.
 *
 * Contract: the methods never throw; `child(bindings)` returns a logger whose
 * lines carry `bindings` as fields (partita makes one per component, lane and
 * message); `level` is the lowest level written (`trace`, `debug`, `info`,
 * `warn`, `error`, `fatal` or `silent`): partita reads it to skip work for
 * lines that would be dropped, never sets it.
 */
export interface Logger {
  readonly level: string;
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

/** A level to log at. */
export type LogMethod = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
/** A logger's threshold: a level, or `silent` for nothing. */
export type LogLevel = LogMethod | 'silent';

/** pino's numeric values of the levels. */
export const LOG_LEVELS: Readonly<Record<LogLevel, number>> = Object.freeze({
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
});

/** The level names, lowest first (`silent` last). */
export const LOG_LEVEL_NAMES = Object.freeze(Object.keys(LOG_LEVELS) as LogLevel[]);

/**
 * Whether `logger` writes lines at `level`, from its `level` property; a
 * level name partita does not know (a custom pino level) counts as enabled.
 */
export function isLevelEnabled(logger: Pick<Logger, 'level'>, level: LogMethod): boolean {
  const name = logger.level;
  return !Object.hasOwn(LOG_LEVELS, name) || LOG_LEVELS[level] >= LOG_LEVELS[name as LogLevel];
}

const LOGGER_METHODS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'child'] as const;

/**
 * Throw the `ConfigError` of a `logger` option that is not a `Logger` in
 * pino's shape (a `(msg, fields)` logger of partita before 0.2, a `console`).
 */
export function checkLogger(owner: string, logger: unknown): void {
  const l = logger as Record<string, unknown> | null;
  if (l === null || typeof l !== 'object' || LOGGER_METHODS.some((m) => typeof l[m] !== 'function'))
    throw optionError(
      owner,
      'logger',
      `a Logger in pino's shape (trace, debug, info, warn, error, fatal taking (obj, msg), child(bindings), level): a pino instance or createConsoleLogger()`,
    );
}
