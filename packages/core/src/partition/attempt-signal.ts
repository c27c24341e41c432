import type { Logger } from '../logger/logger.js';

/** What an attempt's context makes only when asked: its abort controller, the reason it aborted with, its logger. */
export class AttemptExtras {
  ac: AbortController | undefined = undefined;
  aborted = false;
  reason: unknown = undefined;
  log: Logger | undefined = undefined;
  /** Entries only: the context of a later attempt (the first attempt's context is the entry itself). */
  later: AttemptSignal | undefined = undefined;
}

/**
 * The abort side of one attempt's context. Its `signal` belongs to this
 * attempt alone: it is aborted at this attempt's deadline (or by the drain)
 * whether or not the handler read it before. The AbortController behind it,
 * the abort reason and the logger live in one object made on first need, as
 * most handlers never look (one field per record in flight, not three).
 */
export class AttemptSignal {
  protected extras: AttemptExtras | undefined = undefined;

  get signal(): AbortSignal {
    const x = (this.extras ??= new AttemptExtras());
    if (x.ac === undefined) {
      x.ac = new AbortController();
      if (x.aborted) x.ac.abort(x.reason);
    }
    return x.ac.signal;
  }

  /** End this attempt: its signal aborts with `reason` (now, or when first read). */
  abort(reason: unknown): void {
    const x = (this.extras ??= new AttemptExtras());
    if (x.aborted) return;
    x.aborted = true;
    x.reason = reason;
    x.ac?.abort(reason);
  }

  /** The attempt's logger, made by `make` on first read. */
  protected cachedLogger(make: () => Logger): Logger {
    const x = (this.extras ??= new AttemptExtras());
    return (x.log ??= make());
  }
}
