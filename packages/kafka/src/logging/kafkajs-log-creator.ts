import kafkajs, { type logCreator, type LogEntry } from 'kafkajs';
import type { Logger, LogLevel, LogMethod } from '@partita/core';

const { logLevel } = kafkajs;

/** kafkajs' level for a partita logger level: kafkajs builds no entry below it. */
export function kafkajsLevel(level: string): kafkajs.logLevel {
  switch (level as LogLevel) {
    case 'trace':
    case 'debug':
      return logLevel.DEBUG;
    case 'info':
      return logLevel.INFO;
    case 'warn':
      return logLevel.WARN;
    case 'error':
    case 'fatal':
      return logLevel.ERROR;
    case 'silent':
      return logLevel.NOTHING;
    default:
      return logLevel.INFO; // a custom level: let kafkajs' info through, the logger decides
  }
}

const IDEMPOTENT_RETRIES_WARNING = 'Limiting retries for the idempotent producer may invalidate EoS guarantees';

const METHOD: Readonly<Record<number, LogMethod>> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * A kafkajs `logCreator` writing to `logger()` (read per line, so the app's
 * logger attached later is used): kafkajs' level maps to the same method,
 * its namespace goes to `kafkajs`, its fields (broker, groupId, error,
 * retryCount...) stay fields, `error` as `err`; kafkajs' own `timestamp` and
 * `logger` are dropped (the logger stamps its lines). `logger()` redacts.
 */
export function kafkajsLogCreator(logger: () => Logger): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const {
        message,
        timestamp: _timestamp,
        logger: _logger,
        error,
        stack: _stack,
        ...fields
      } = log as LogEntry['log'] & {
        error?: unknown;
        stack?: unknown;
      };
      // kafkajs warns on every idempotent producer whose retries are bounded; partita bounds them on purpose
      // (a publish that keeps failing fails its message, which is retried or dead-lettered), so it is debug here.
      const method = message === IDEMPOTENT_RETRIES_WARNING ? 'debug' : (METHOD[level] ?? 'info');
      const obj = { kafkajs: namespace, ...fields, ...(error !== undefined ? { err: error } : {}) };
      logger()[method](obj, `kafkajs: ${message}`);
    };
}
