import { parseArgs } from 'node:util';
import { PartitaError, transportFromEnv, type Env } from '@partita/core';
import { connectorLogger } from './connector-logger.js';
import type { Backend } from '../backend/backend.js';
import { httpBackend } from '../backend/http-backend.js';
import { transportBackend } from '../backend/transport-backend.js';
import { COMMANDS } from '../commands/command-list.js';
import { loadConfig, type PartitaConfig } from '../config/load-config.js';
import { colorEnabled, createStyle } from '../output/style.js';
import { CliError, EXIT, exitCodeOf, usageError } from './cli-error.js';
import type { CommandContext, CommandSpec, OptionSpec, Output } from './command-spec.js';
import { GLOBAL_OPTIONS } from './global-options.js';
import { cliVersion } from './package-version.js';
import { renderCommandHelp, renderMainHelp } from './render-help.js';
import { resolveConnection, type Connection } from './resolve-connection.js';
import { withTimeout } from './with-timeout.js';

/** What the CLI reads and writes: the process's, or a test's. */
export interface CliIo {
  readonly stdout: { readonly isTTY?: boolean; readonly columns?: number; write(s: string): unknown };
  readonly stderr: { readonly isTTY?: boolean; readonly columns?: number; write(s: string): unknown };
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly env: Env;
  readonly cwd: string;
  /** Aborted on Ctrl-C: `tail --follow` stops and the command exits 0. */
  readonly signal?: AbortSignal;
}

type ParseOptions = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

const parseOptions = (options: Readonly<Record<string, OptionSpec>>): ParseOptions =>
  Object.fromEntries(
    Object.entries(options).map(([name, o]) => [
      name,
      { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) },
    ]),
  );

/** Every option of every command, to find the command words whatever options come first. */
const ALL_OPTIONS = parseOptions(
  Object.assign({}, GLOBAL_OPTIONS, ...COMMANDS.map((c) => c.options)) as Record<string, OptionSpec>,
);

/** Find the command: `partita <command>` or `partita dlq <subcommand>`; `help <command>` is `<command> --help`. */
function findCommand(words: readonly string[]): {
  spec: CommandSpec | undefined;
  used: number;
  help: boolean;
  group?: string;
} {
  let help = false;
  let rest = words;
  if (rest[0] === 'help') {
    help = true;
    rest = rest.slice(1);
  }
  const offset = help ? 1 : 0;
  if (rest.length === 0) return { spec: undefined, used: offset, help };
  const two = COMMANDS.find((c) => c.name === `${rest[0]} ${rest[1]}`);
  if (two) return { spec: two, used: offset + 2, help };
  const one = COMMANDS.find((c) => c.name === rest[0]);
  if (one) return { spec: one, used: offset + 1, help };
  const group = COMMANDS.filter((c) => c.name.startsWith(`${rest[0]} `));
  if (group.length > 0) {
    if (help || rest.length === 1) return { spec: undefined, used: offset + 1, help, group: rest[0]! };
    throw usageError(
      `unknown command "${rest[0]} ${rest[1]}"; ${rest[0]} has ${group.map((c) => c.name.split(' ')[1]).join(', ')}`,
    );
  }
  const close = COMMANDS.map((c) => c.name).filter((n) => n.startsWith(rest[0]!.slice(0, 2)));
  throw usageError(`unknown command "${rest[0]}"${close.length ? `; did you mean ${close.join(' or ')}?` : ''}`);
}

/**
 * Run `partita` with `argv` (without node and the script): parse, run the
 * command, print errors as one line that says what to do, and resolve with
 * the exit code (0 ok, 1 failed, 2 usage, 3 not found or unreachable).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const jsonWanted = argv.includes('--json');
  const noColor = argv.includes('--no-color');
  const errStyle = createStyle(colorEnabled(io.stderr, io.env, noColor) && !jsonWanted);
  let backend: Backend | undefined;
  try {
    if (argv.length === 1 && argv[0] === '--version') {
      io.stdout.write(`${cliVersion()}\n`);
      return EXIT.ok;
    }
    const scan = parseArgs({ args: [...argv], options: ALL_OPTIONS, strict: false, allowPositionals: true });
    const found = findCommand(scan.positionals);
    const style = createStyle(colorEnabled(io.stdout, io.env, noColor) && !jsonWanted);
    if (found.spec === undefined) {
      const group = found.group;
      const specs = group !== undefined ? COMMANDS.filter((c) => c.name.startsWith(`${group} `)) : COMMANDS;
      const text = renderMainHelp(specs, style);
      if (found.help || scan.values.help === true) {
        io.stdout.write(text);
        return EXIT.ok;
      }
      io.stderr.write(text);
      return EXIT.usage;
    }
    const spec = found.spec;
    let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
    try {
      parsed = parseArgs({
        args: [...argv],
        options: parseOptions({ ...GLOBAL_OPTIONS, ...spec.options }),
        strict: true,
        allowPositionals: true,
      });
    } catch (err) {
      const { code, message } = err as { code?: string; message: string };
      const unknown = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /^Unknown option '([^']+)'/.exec(message) : null;
      throw usageError(unknown ? `unknown option ${unknown[1]}` : message, spec.name);
    }
    if (found.help || parsed.values.help === true) {
      io.stdout.write(renderCommandHelp(spec, style));
      return EXIT.ok;
    }
    const positionals = withoutCommandWords(parsed.positionals, scan.positionals.slice(0, found.used));
    const required = spec.positionals.filter((p) => p.required);
    if (positionals.length < required.length)
      throw usageError(`missing <${required[positionals.length]!.name}>`, spec.name);
    if (positionals.length > spec.positionals.length)
      throw usageError(`unexpected argument ${JSON.stringify(positionals[spec.positionals.length])}`, spec.name);
    const values = parsed.values as CommandContext['values'];
    const timeoutSeconds = typeof values.timeout === 'string' ? Number(values.timeout) : 30;
    if (!(timeoutSeconds > 0))
      throw usageError(`--timeout ${JSON.stringify(values.timeout)}: expected seconds > 0`, spec.name);
    const timeoutMs = timeoutSeconds * 1000;
    const out: Output = {
      json: values.json === true,
      style,
      tty: io.stdout.isTTY === true,
      write: (text) => void io.stdout.write(text),
      printJson: (value, line = false) =>
        void io.stdout.write(`${JSON.stringify(value, null, line ? undefined : 2)}\n`),
      note: (text) => void io.stderr.write(`${errStyle.dim(text)}\n`),
      stderr: io.stderr,
    };
    let config: Promise<PartitaConfig> | undefined;
    let connection: Promise<Connection> | undefined;
    let opening: Promise<Backend> | undefined;
    const ctx: CommandContext = {
      values,
      positionals,
      out,
      stdin: io.stdin,
      env: io.env,
      cwd: io.cwd,
      signal: io.signal ?? new AbortController().signal,
      timeoutMs,
      config: () =>
        (config ??= loadConfig({
          cwd: io.cwd,
          env: io.env,
          ...(typeof values.config === 'string' ? { path: values.config } : {}),
        })),
      connection: () => (connection ??= ctx.config().then((c) => resolveConnection(values, io.env, c))),
      backend: () =>
        (opening ??= ctx
          .connection()
          .then((c) => openBackend(c, timeoutMs))
          .then((b) => (backend = b))),
    };
    const code = await spec.run(ctx);
    return code ?? EXIT.ok;
  } catch (err) {
    const code = exitCodeOf(err);
    const message = describeError(err);
    if (jsonWanted)
      io.stderr.write(
        `${JSON.stringify({ error: { name: (err as Error)?.name ?? 'Error', message, exitCode: code } })}\n`,
      );
    else io.stderr.write(`${errStyle.red('partita:')} ${message}\n`);
    return code;
  } finally {
    if (backend) await withTimeout(backend.close(), 10_000, 'closing the connection', '').catch(() => undefined);
  }
}

/** The positionals after removing the command words (they may sit after options). */
function withoutCommandWords(positionals: readonly string[], words: readonly string[]): string[] {
  const rest = [...positionals];
  for (const w of words) {
    const i = rest.indexOf(w);
    if (i >= 0) rest.splice(i, 1);
  }
  return rest;
}

async function openBackend(c: Connection, timeoutMs: number): Promise<Backend> {
  if (c.kind === 'http') return httpBackend({ url: c.url, ...(c.token !== undefined ? { token: c.token } : {}) });
  const transport = await transportFromEnv(c.variables, (s) => import(s));
  transport.attach?.({ logger: connectorLogger(c.variables) });
  try {
    await withTimeout(
      transport.connect(),
      timeoutMs,
      c.transport,
      `is it running and reachable? check the connection flags or variables (\`partita doctor\` tells more)`,
    );
    return transportBackend(transport);
  } catch (err) {
    await withTimeout(transport.close(), 5000, 'close', '').catch(() => undefined);
    throw err;
  }
}

/** One message for the person: a CliError as is; a partita error with its class; anything else flagged. */
function describeError(err: unknown): string {
  if (err instanceof CliError) return err.message;
  if (err instanceof PartitaError) return `${err.message} (${err.name})`;
  if (err instanceof Error)
    return `${err.message} (${err.name}; if this looks like a bug, report it with the command you ran)`;
  return String(err);
}
