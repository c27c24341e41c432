import type { Logger } from '@partita/core';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LEVELS;

/** A `Logger` writing one line per record to the console, at `level` and above. */
export function consoleLogger(level: LogLevel = 'info'): Logger {
  const min = LEVELS[level];
  const write =
    (lvl: LogLevel) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      if (LEVELS[lvl] < min) return;
      const line = fields && Object.keys(fields).length > 0 ? `${msg} ${safeJson(fields)}` : msg;
      (lvl === 'error' ? console.error : lvl === 'warn' ? console.warn : console.log)(
        `[partita:worker-pool] ${lvl} ${line}`,
      );
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}
