import type { Logger } from '../handler/handler.js';

/** The part of a pino logger (or any `(obj, msg)` logger with `bindings()`) this adapts. */
export interface PinoLike {
  debug(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
  child(bindings: Record<string, unknown>): PinoLike;
  bindings(): Record<string, unknown>;
}

/** Whether `logger` takes pino's `(obj, msg)` shape (recognised by `child` and `bindings`, which pino has). */
export function isPinoLike(logger: unknown): logger is PinoLike {
  const l = logger as Partial<PinoLike> | null;
  return l !== null && typeof l === 'object' && typeof l.child === 'function' && typeof l.bindings === 'function';
}

/** pino serializes an Error under `err` (message, stack); partita's `error` field moves there. */
function withErr(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  if (fields === undefined) return {};
  if (!(fields.error instanceof Error) || 'err' in fields) return fields;
  const { error, ...rest } = fields;
  return { ...rest, err: error };
}

/**
 * partita's `(msg, fields)` calls onto a pino-shaped `(obj, msg)` logger, so
 * no field is dropped (an Error in `error` goes to pino's `err`, which pino serializes). `createApp` applies it to a pino instance given as
 * `logger`; pass `pinoLogger(instance)` to packages that take a `Logger`
 * (connectors, the worker pool) until they take pino's shape themselves.
 */
export function pinoLogger(pino: PinoLike): Logger {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (msg: string, fields?: Record<string, unknown>): void =>
      pino[level](withErr(fields), msg);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
