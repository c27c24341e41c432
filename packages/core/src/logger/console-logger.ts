import { ConfigError } from '../errors/partita-error.js';
import type { Logger } from '../handler/handler.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** A JSON-lines logger on stderr. `level` filters; `silent` logs nothing. */
export function createConsoleLogger(options: { readonly level?: LogLevel; readonly name?: string } = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  if (min === undefined)
    throw new ConfigError(
      `createConsoleLogger: option "level" must be one of ${Object.keys(ORDER).join(', ')} (got ${String(options.level)})`,
    );
  const write = (level: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[level] < min) return;
    const line = JSON.stringify(
      { time: new Date().toISOString(), level, ...(options.name ? { name: options.name } : {}), msg, ...fields },
      (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message } : v),
    );
    process.stderr.write(line + '\n');
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}
