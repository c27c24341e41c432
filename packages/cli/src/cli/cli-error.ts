import { ConfigError, ConnectionError, PartitaError, TimeoutError, TopicNotFoundError } from '@partita/core';

/** The CLI's exit codes (README, "Exit codes"). */
export const EXIT = {
  ok: 0,
  /** The command failed (the broker refused, a check failed, a write was not authorized). */
  failure: 1,
  /** Bad flags, arguments or configuration: fix the command line or the config. */
  usage: 2,
  /** A topic, record or lane does not exist, or the broker / app cannot be reached. */
  notFound: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI prints as is (one line saying what to do) and exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
  }
}

/** A usage error: bad flags or arguments (exit 2). `command` names the help to read. */
export function usageError(message: string, command?: string): CliError {
  return new CliError(`${message}\nSee \`partita ${command ? `${command} ` : ''}--help\`.`, EXIT.usage);
}

/** The exit code for an error: its own for a `CliError`, else by partita error class. */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof ConfigError) return EXIT.usage;
  if (err instanceof TopicNotFoundError || err instanceof ConnectionError || err instanceof TimeoutError)
    return EXIT.notFound;
  if (err instanceof PartitaError && /NOT_FOUND/.test(err.code)) return EXIT.notFound;
  return EXIT.failure;
}
