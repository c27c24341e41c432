import type { Env } from '@partita/core';
import type { Backend } from '../backend/backend.js';
import type { PartitaConfig } from '../config/load-config.js';
import type { Connection } from './resolve-connection.js';
import type { Style } from '../output/style.js';

/** One option of a command, as `node:util` `parseArgs` takes it, plus its help. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Shown as `--name <value>`. */
  readonly value?: string;
  readonly description: string;
}

export interface PositionalSpec {
  readonly name: string;
  readonly required: boolean;
  readonly description: string;
}

/** Where the output goes, and how it looks. */
export interface Output {
  /** `--json`: machine-readable output only, on stdout. */
  readonly json: boolean;
  readonly style: Style;
  /** stdout is a terminal. */
  readonly tty: boolean;
  write(text: string): void;
  /** One JSON document (pretty) or, with `line`, one NDJSON line. */
  printJson(value: unknown, line?: boolean): void;
  /** Messages for the person (progress, hints, confirmations): stderr, never mixed into the result. */
  note(text: string): void;
  readonly stderr: { readonly isTTY?: boolean; readonly columns?: number; write(s: string): unknown };
}

export type OptionValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

export interface CommandContext {
  readonly values: OptionValues;
  readonly positionals: readonly string[];
  readonly out: Output;
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly env: Env;
  readonly cwd: string;
  /** Aborted on Ctrl-C (a `--follow` stops cleanly). */
  readonly signal: AbortSignal;
  /** `--timeout` in ms: how long to wait for a broker or app to answer. */
  readonly timeoutMs: number;
  /** The config file (`--config`, `PARTITA_CONFIG` or found here), loaded once. */
  config(): Promise<PartitaConfig>;
  /** Where the command goes (flags, then `PARTITA_*`, then the config file). */
  connection(): Promise<Connection>;
  /** The broker or app the command talks to (created and connected on first call). */
  backend(): Promise<Backend>;
}

export interface CommandSpec {
  /** `topics`, `dlq redrive`, … */
  readonly name: string;
  readonly summary: string;
  readonly description?: string;
  readonly positionals: readonly PositionalSpec[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly examples: readonly string[];
  /** Resolves with the exit code (0 when nothing is returned). */
  run(ctx: CommandContext): Promise<number | void>;
}
