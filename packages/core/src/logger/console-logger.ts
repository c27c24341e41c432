import { ConfigError } from '../errors/partita-error.js';
import { LOG_LEVEL_NAMES, LOG_LEVELS, type LogLevel, type LogMethod, type Logger } from './logger.js';

/** Where the default logger writes its lines (`process.stderr`, a file stream, a test's buffer). */
export interface LogDestination {
  write(line: string): unknown;
}

export interface ConsoleLoggerOptions {
  /** Lowest level written; `silent` writes nothing. @defaultValue 'info' */
  readonly level?: LogLevel;
  /** Written as `name` on every line. */
  readonly name?: string;
  /** @defaultValue process.stderr */
  readonly destination?: LogDestination;
}

/** The default logger: a `Logger` whose `level` can be changed (its children keep the level they were made with). */
export interface ConsoleLogger extends Logger {
  level: LogLevel;
  child(bindings: Record<string, unknown>): ConsoleLogger;
}

function checkLevel(level: unknown, what: string): LogLevel {
  if (typeof level !== 'string' || !Object.hasOwn(LOG_LEVELS, level))
    throw new ConfigError(`${what} must be one of ${LOG_LEVEL_NAMES.join(', ')} (got ${String(level)})`);
  return level as LogLevel;
}

/** Errors as JSON: their name, message and code (a plain `JSON.stringify` writes `{}`); BigInts as strings. */
function replacer(_key: string, v: unknown): unknown {
  if (v instanceof Error) {
    const code = (v as Error & { code?: unknown }).code;
    return { name: v.name, message: v.message, ...(code !== undefined ? { code } : {}) };
  }
  return typeof v === 'bigint' ? v.toString() : v;
}

/**
 * partita's default logger, with no dependency: JSON lines
 * `{"time","level","name"?,...bindings,...fields,"msg"}` on stderr, in
 * pino's shape (`(obj, msg)`, `child(bindings)`, `level`). `level` filters
 * (`silent` logs nothing). An `Error` given as `obj` is written under `err`.
 * A line whose fields cannot be serialized (a cycle) is still written, with
 * the reason in `logError`. `createApp` uses it at `PARTITA_LOG_LEVEL`
 * (`defaultLogger`) unless given a `logger`.
 */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): ConsoleLogger {
  const level = checkLevel(options.level ?? 'info', 'createConsoleLogger: option "level"');
  const out = options.destination ?? process.stderr;
  const base: Record<string, unknown> = options.name === undefined ? {} : { name: options.name };
  return make(out, level, base);
}

function make(out: LogDestination, initial: LogLevel, bindings: Record<string, unknown>): ConsoleLogger {
  let threshold = LOG_LEVELS[initial];
  let level = initial;
  const write = (at: LogMethod, a: object | string, b: string | undefined): void => {
    if (LOG_LEVELS[at] < threshold) return;
    let fields: object | undefined;
    let msg: string | undefined;
    if (typeof a === 'string') msg = a;
    else {
      fields = a instanceof Error ? { err: a } : a;
      msg = b ?? (a instanceof Error ? a.message : undefined);
    }
    const head = { time: new Date().toISOString(), level: at, ...bindings };
    let line: string;
    try {
      line = JSON.stringify({ ...head, ...fields, ...(msg !== undefined ? { msg } : {}) }, replacer);
    } catch (err) {
      line = JSON.stringify({ ...head, msg, logError: `fields not serializable: ${String(err)}` }, replacer);
    }
    try {
      out.write(line + '\n');
    } catch {
      // A logger never throws into the code that logs.
    }
  };
  const at =
    (m: LogMethod) =>
    (a: object | string, b?: string): void =>
      write(m, a, b);
  return {
    get level() {
      return level;
    },
    set level(next: LogLevel) {
      level = checkLevel(next, 'logger.level');
      threshold = LOG_LEVELS[level];
    },
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: (more) => make(out, level, { ...bindings, ...more }),
  };
}
