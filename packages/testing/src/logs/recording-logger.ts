import { LOG_LEVELS, type LogLevel, type LogMethod, type Logger } from '@partita/core';

/** One line a `recordingLogger` received: its level, message, and fields (bindings of its children first). */
export interface LogRecord {
  readonly level: LogMethod;
  readonly msg: string | undefined;
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface RecordingLoggerOptions {
  /** Lowest level kept. @defaultValue 'trace' */
  readonly level?: LogLevel;
  /** Keep only the last `limit` records. @defaultValue Infinity */
  readonly limit?: number;
}

/** A `Logger` that keeps what it is given, for assertions; its children add to the same `records`. */
export interface RecordingLogger extends Logger {
  readonly records: LogRecord[];
}

/**
 * A logger in pino's shape that records every line in memory (values as
 * given: an `err` stays an Error), for tests and failure reports. Lines of
 * its children carry their bindings in `fields`.
 */
export function recordingLogger(options: RecordingLoggerOptions = {}): RecordingLogger {
  const records: LogRecord[] = [];
  const level = options.level ?? 'trace';
  const limit = options.limit ?? Infinity;
  const make = (bindings: Record<string, unknown>): RecordingLogger => {
    const at =
      (m: LogMethod) =>
      (a: object | string, b?: string): void => {
        if (LOG_LEVELS[m] < LOG_LEVELS[level]) return;
        const obj = typeof a === 'string' ? {} : a instanceof Error ? { err: a } : a;
        const msg = typeof a === 'string' ? a : (b ?? (a instanceof Error ? a.message : undefined));
        if (records.length >= limit) records.shift();
        records.push({ level: m, msg, fields: { ...bindings, ...obj } });
      };
    return {
      level,
      records,
      trace: at('trace'),
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      fatal: at('fatal'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return make({});
}
