import { optionError } from '../options/option-error.js';
import type { Logger } from '../logger/logger.js';

/** Options of `app.stopOnSignals()`. */
export interface StopOnSignalsOptions {
  /** How long lanes may drain after the first signal. @defaultValue 10_000 */
  readonly drainTimeoutMs?: number;
  /** @defaultValue ['SIGTERM', 'SIGINT'] */
  readonly signals?: readonly NodeJS.Signals[];
  /** Runs once the app stopped cleanly, before the exit (print a summary, close an embedded broker). */
  readonly onStopped?: (signal: NodeJS.Signals) => void | Promise<void>;
  /** Called with the exit code. @defaultValue process.exit */
  readonly exit?: (code: number) => void;
}

/** What `stopOnSignals` needs of the app. */
export interface SignalTarget {
  stop(options: { drainTimeoutMs: number }): Promise<void>;
  /** Readiness turns false at once (before any await): `inspect().state` is `stopping`. */
  markStopping(): void;
}

/**
 * Install the shutdown sequence on `signals` (Kubernetes sends SIGTERM, a
 * terminal Ctrl-C SIGINT). First signal: readiness turns false at once, lanes
 * drain up to `drainTimeoutMs` (in-flight work finishes), the final commits
 * or acks are made, the transport closes, `onStopped` runs, exit code 0 (1 if
 * the stop failed). A second signal during that stop exits at once with code
 * 130 and an `error` log line saying so: work not yet committed is redelivered
 * after the restart (at-least-once), nothing is acknowledged unprocessed.
 * Returns a function that removes the listeners.
 */
export function installSignalHandlers(
  target: SignalTarget,
  logger: Logger,
  options: StopOnSignalsOptions = {},
): () => void {
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  if (typeof drainTimeoutMs !== 'number' || !(drainTimeoutMs >= 0))
    throw optionError('stopOnSignals', 'drainTimeoutMs', 'a number ≥ 0', drainTimeoutMs);
  const signals = options.signals ?? (['SIGTERM', 'SIGINT'] as const);
  if (!Array.isArray(signals) || signals.length === 0)
    throw optionError('stopOnSignals', 'signals', 'a non-empty array of signal names', signals);
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let first: NodeJS.Signals | undefined;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (first !== undefined) {
      logger.error(
        { signal, exitCode: 130 },
        `received ${signal} while stopping after ${first}: forcing exit now; work not yet committed is redelivered after restart`,
      );
      exit(130);
      return;
    }
    first = signal;
    target.markStopping();
    logger.info(
      { signal, drainTimeoutMs },
      `received ${signal}: draining (up to ${drainTimeoutMs} ms), then exiting; send it again to force`,
    );
    void (async () => {
      let code = 0;
      try {
        await target.stop({ drainTimeoutMs });
        await options.onStopped?.(signal);
        logger.info({ signal }, 'stopped cleanly after signal');
      } catch (err) {
        code = 1;
        logger.error({ signal, err }, 'stop after signal failed');
      }
      exit(code);
    })();
  };
  const names = signals as readonly NodeJS.Signals[];
  for (const s of names) process.on(s, onSignal);
  return () => {
    for (const s of names) process.off(s, onSignal);
  };
}
