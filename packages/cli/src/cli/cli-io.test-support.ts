import { Readable } from 'node:stream';
import type { CliIo } from './run-cli.js';
import { runCli } from './run-cli.js';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the CLI in process with captured output (no TTY unless `tty`), an empty stdin unless given. */
export async function runIn(
  argv: readonly string[],
  opts: { env?: Record<string, string | undefined>; tty?: boolean; stdin?: string; cwd?: string } = {},
): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const stdin = Readable.from(opts.stdin !== undefined ? [opts.stdin] : []) as Readable & { isTTY?: boolean };
  if (opts.tty) stdin.isTTY = true;
  const io: CliIo = {
    stdout: { isTTY: opts.tty === true, columns: 100, write: (s: string) => (stdout += s) },
    stderr: { isTTY: opts.tty === true, columns: 100, write: (s: string) => (stderr += s) },
    stdin,
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}
