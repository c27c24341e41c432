import { isLevelEnabled, type LogMethod, type Logger } from './logger.js';

/**
 * `parent.child(bindings)`, made on the first line at or above the level, or
 * the first child: an app makes one logger per lane, and most lanes never log
 * (1,024 lanes made 1,024 children at start, ~35 µs each through the
 * redacting logger; bench `scale`). Its
 * level is the parent's until the child exists (a child starts at its
 * parent's level).
 */
export class LazyChildLogger implements Logger {
  private made: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Record<string, unknown>,
  ) {}

  private get logger(): Logger {
    return (this.made ??= this.parent.child(this.bindings));
  }

  get level(): string {
    return (this.made ?? this.parent).level;
  }

  trace(objOrMsg: object | string, msg?: string): void {
    this.log('trace', objOrMsg, msg);
  }
  debug(objOrMsg: object | string, msg?: string): void {
    this.log('debug', objOrMsg, msg);
  }
  info(objOrMsg: object | string, msg?: string): void {
    this.log('info', objOrMsg, msg);
  }
  warn(objOrMsg: object | string, msg?: string): void {
    this.log('warn', objOrMsg, msg);
  }
  error(objOrMsg: object | string, msg?: string): void {
    this.log('error', objOrMsg, msg);
  }
  fatal(objOrMsg: object | string, msg?: string): void {
    this.log('fatal', objOrMsg, msg);
  }
  child(bindings: Record<string, unknown>): Logger {
    return this.logger.child(bindings);
  }

  /** Forward a line as it was called: `(msg)` or `(obj, msg?)`. */
  private log(method: LogMethod, objOrMsg: object | string, msg: string | undefined): void {
    // A line below the level would be dropped by the child too (it starts at the parent's level): no child for it.
    if (this.made === undefined && !isLevelEnabled(this.parent, method)) return;
    const fn = this.logger[method] as (a: object | string, m?: string) => void;
    if (msg === undefined) fn.call(this.logger, objOrMsg);
    else fn.call(this.logger, objOrMsg, msg);
  }
}
