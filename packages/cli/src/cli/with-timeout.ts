import { CliError, EXIT } from './cli-error.js';

/** `promise`, or a `CliError` (exit 3) saying what did not answer within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string, fix: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CliError(`${what} did not answer within ${Math.round(ms / 1000)} s; ${fix}`, EXIT.notFound)),
      ms,
    );
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
