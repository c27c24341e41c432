import pino, { type Logger as PinoLogger } from 'pino';

/** A parsed line as a real pino instance wrote it (numeric level, `msg`, bindings and fields). */
export type PinoLine = Record<string, unknown> & { readonly level: number; readonly msg?: string };

/** A real pino instance at `trace` writing into `lines` (parsed), and the raw text for leak checks. */
export function pinoCapture(): { logger: PinoLogger; lines: PinoLine[]; text: () => string } {
  const raw: string[] = [];
  const lines: PinoLine[] = [];
  const logger = pino(
    { level: 'trace' },
    {
      write(line: string) {
        raw.push(line);
        lines.push(JSON.parse(line) as PinoLine);
      },
    },
  );
  return { logger, lines, text: () => raw.join('') };
}

/** pino's numeric levels. */
export const PINO = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
