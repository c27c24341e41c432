#!/usr/bin/env node
/**
 * The `partita` command. Everything is in `runCli`; this file wires the
 * process to it: streams, environment, Ctrl-C (a second one exits at once
 * with 130) and the exit code. It exits explicitly once output is flushed,
 * since a broker client may keep timers alive after closing.
 */
import { runCli } from './cli/run-cli.js';

const abort = new AbortController();
process.on('SIGINT', () => {
  if (abort.signal.aborted) process.exit(130);
  abort.abort();
});
void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  signal: abort.signal,
}).then((code) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code))));
