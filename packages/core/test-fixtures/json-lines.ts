import { createConsoleLogger, type ConsoleLogger, type LogLevel } from '../src/index.js';

/** A parsed line of the default logger. */
export type JsonLine = Record<string, unknown> & { readonly level: string; readonly msg?: string };

/** The default logger writing into `lines` (parsed), for assertions on what was logged. */
export function jsonLines(level: LogLevel = 'trace'): { logger: ConsoleLogger; lines: JsonLine[] } {
  const lines: JsonLine[] = [];
  const logger = createConsoleLogger({
    level,
    destination: { write: (l: string) => lines.push(JSON.parse(l) as JsonLine) },
  });
  return { logger, lines };
}
