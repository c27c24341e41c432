// What tools/kafka and tools/elasticmq share: a JVM server fetched once
// through Maven into a cache, started detached on 127.0.0.1, described by a
// state file (so another process can attach, kill and restart it), waited on
// until it answers, and stopped.
//
// Each server module supplies only what is its own: the pom, its config, the
// Java main class and the readiness probe.
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HOST = '127.0.0.1';
export const JAVA_HINT = 'install Java 17 or later (Debian: apt-get install openjdk-17-jre-headless)';
const mavenHint = (what) =>
  `install Maven (Debian: apt-get install maven), which fetches ${what} from Maven Central once`;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Whether process `pid` exists. */
export const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
};

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function portOpen(port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const s = connect({ host: HOST, port });
    const done = (v) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Throws with what to install when `cmd` is not on PATH. */
export function requireTool(cmd, args, install) {
  const res = spawnSync(cmd, args, { stdio: 'ignore' });
  if (res.error) throw new Error(`${cmd} was not found on PATH (${res.error.message}); ${install}`);
}

/** `$<envVar>`, else `$XDG_CACHE_HOME/partita/<dirName>`, else `~/.cache/partita/<dirName>`. */
export function cacheDirFor(envVar, dirName) {
  if (process.env[envVar]) return process.env[envVar];
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'partita', dirName);
}

/** A `[tools/<tag>] …` line on stderr, unless `$<quietEnv>` is set. */
export const toolLog = (tag, quietEnv) => (msg) => {
  if (!process.env[quietEnv]) process.stderr.write(`[tools/${tag}] ${msg}\n`);
};

/**
 * Copies the dependencies of `pom` into `<cache>/libs` through Maven once
 * (`libs.complete` marks a finished fetch; a concurrent fetch loses the race
 * harmlessly). Later calls return at once.
 */
export async function fetchJars({ cache, pom, artifact, log }) {
  const libs = join(cache, 'libs');
  const marker = join(cache, 'libs.complete');
  if (existsSync(marker)) return { libs, fetched: false };
  requireTool('mvn', ['-v'], mavenHint(artifact));
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(join(cache, 'libs-'));
  const started = Date.now();
  log(`fetching ${artifact} through Maven into ${libs} (once)`);
  const res = spawnSync('mvn', ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (res.error || res.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(
      `mvn dependency:copy-dependencies failed (${res.error?.message ?? `exit ${res.status}`}); ` +
        `check that Maven Central is reachable, or ${mavenHint(artifact)}:\n${(res.stdout + res.stderr).slice(-2000)}`,
    );
  }
  if (!existsSync(marker)) {
    rmSync(libs, { recursive: true, force: true });
    renameSync(tmp, libs);
    writeFileSync(marker, `${artifact} fetched ${new Date().toISOString()} in ${Date.now() - started} ms\n`);
  } else rmSync(tmp, { recursive: true, force: true });
  log(`fetched in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { libs, fetched: true };
}

/** The JSON state file at `file`, or undefined. */
export function readState(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The last `bytes` of a log file, or '' when it cannot be read. */
export function fileTail(file, bytes = 1500) {
  try {
    return readFileSync(file, 'utf8').slice(-bytes);
  } catch {
    return '';
  }
}

/**
 * Spawns `java <jvm…> -cp <libs>/* <args…>` detached, its output appended to
 * `outFile`, records its pid in `state` and in `stateFile`, and waits until
 * `ready()` resolves true. Throws (after killing it) when it exits first or
 * `timeoutMs` passes, with `tail()` (the server's own log) in the message.
 */
export async function launchJava({ state, stateFile, jvm, args, outFile, ready, tail, what, timeoutMs }) {
  requireTool('java', ['-version'], JAVA_HINT);
  const out = openSync(outFile, 'a');
  const child = spawn('java', [...jvm, '-cp', join(state.libs, '*'), ...args], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  let exited = null;
  child.once('error', (err) => {
    exited = err.message;
  });
  child.once('exit', (code, signal) => {
    exited = signal ?? `exit ${code}`;
  });
  child.unref();
  state.pid = child.pid;
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`${what} exited (${exited}) before it answered:\n${tail()}`);
    if (await ready(deadline)) return;
    if (Date.now() > deadline) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      throw new Error(`${what} did not answer within ${timeoutMs} ms:\n${tail()}`);
    }
    await sleep(250);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function terminate(pid, graceMs = 15_000) {
  if (!pid || !alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    while (alive(pid)) await sleep(50);
  }
}

/**
 * The handle of a running server: `fields` (its addresses) plus `owned`,
 * `controllable` (started by this tool, so `kill`/`restart` work), `pid`,
 * `kill()`, `restart()` and `stop()` (which deletes its data dir, and does
 * nothing for a server this handle did not start).
 */
export function serverHandle({ state, owned, stateFile, relaunch, what, graceMs, fields }) {
  const known = state.dir !== undefined;
  const need = (op) => {
    if (!known) throw new Error(`cannot ${op}: ${what} was not started by this tool`);
  };
  const current = () => readState(stateFile) ?? state;
  return {
    ...fields,
    owned,
    controllable: known,
    get pid() {
      return current().pid;
    },
    /** SIGKILL the server now; its data dir stays for `restart`. */
    kill() {
      need('kill');
      try {
        process.kill(current().pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    },
    /** Stop (if running) and start again on the same data dir; resolves once it answers. */
    async restart(timeoutMs) {
      need('restart');
      const s = current();
      await terminate(s.pid, graceMs);
      await relaunch(s, timeoutMs);
      state.pid = s.pid;
    },
    /** Stop the server and delete its data, unless it was already running (then: nothing). */
    async stop() {
      if (!owned) return;
      const s = current();
      await terminate(s.pid, graceMs);
      rmSync(s.dir, { recursive: true, force: true });
      if (readState(stateFile)?.dir === s.dir) rmSync(stateFile, { force: true });
    },
  };
}

/**
 * Starts a server, or reuses the one that already answers on `port` (its
 * handle's `stop()` then leaves it running). A leftover of an earlier run
 * (a state file whose process is half dead) is cleaned up first. `prepare()`
 * fetches and writes the config and returns the new state (with its `dir`);
 * when `launch` fails, the process and the dir are removed.
 */
export async function startServer({ port, probe, readState: read, stateFile, prepare, launch, handleFor, what, log }) {
  const existing = read();
  if (await portOpen(port)) {
    if (await probe()) {
      log(`reusing the ${what} already running on port ${port}`);
      return handleFor(existing && alive(existing.pid) ? existing : undefined, false);
    }
    throw new Error(`port ${port} is in use by something that does not answer as ${what}`);
  }
  if (existing?.pid && alive(existing.pid)) await terminate(existing.pid, 5000);
  if (existing?.dir) rmSync(existing.dir, { recursive: true, force: true });
  requireTool('java', ['-version'], JAVA_HINT);
  const state = await prepare();
  const started = Date.now();
  try {
    await launch(state);
  } catch (err) {
    await terminate(state.pid, 2000);
    rmSync(state.dir, { recursive: true, force: true });
    rmSync(stateFile, { force: true });
    throw err;
  }
  log(
    `${what} started on port ${port} in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${state.pid}, dir ${state.dir})`,
  );
  return handleFor(state, true);
}

/**
 * The command line of a server module run as a script (when `moduleUrl` is
 * the script node was given): `fetch|start|stop|status`; exits 0, 1 (an
 * error, printed) or 2 (usage).
 */
export function serverCli({ moduleUrl, tool, what, fetch, start, readState: read, handleFor, probe }) {
  if (!process.argv[1] || fileURLToPath(moduleUrl) !== process.argv[1]) return;
  const commands = {
    async fetch() {
      const t = Date.now();
      const r = await fetch();
      console.log(r.fetched ? `fetched into ${r.libs} in ${Date.now() - t} ms` : `already cached in ${r.libs}`);
    },
    async start() {
      const h = await start();
      console.log(
        h.owned
          ? `${what} running on ${h.address} (pid ${h.pid}); stop it with: npm run ${tool} -- stop`
          : `${what} already running on ${h.address}`,
      );
    },
    async stop() {
      const state = read();
      if (!state) return console.log(`no ${what} started by tools/${tool} is recorded`);
      await handleFor(state, true).stop();
      console.log(`stopped ${what} (pid ${state.pid})`);
    },
    async status() {
      const state = read();
      const running = await probe();
      console.log(JSON.stringify({ running, state: state && { ...state, alive: alive(state.pid) } }, null, 2));
    },
  };
  const command = commands[process.argv[2]];
  if (!command) {
    console.error(`usage: npm run ${tool} -- fetch|start|stop|status`);
    process.exit(2);
  }
  command().then(
    () => process.exit(process.exitCode ?? 0),
    (err) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
