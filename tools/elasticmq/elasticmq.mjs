#!/usr/bin/env node
// A real ElasticMQ (an SQS-compatible server) for tests and benchmarks.
//
//   node tools/elasticmq/elasticmq.mjs fetch   download the server once (Maven) into the cache
//   node tools/elasticmq/elasticmq.mjs start   start it on 127.0.0.1:9324 and leave it running
//   node tools/elasticmq/elasticmq.mjs stop    stop the server `start` left running
//   node tools/elasticmq/elasticmq.mjs status  print what runs
//
// From code: `const mq = await startElasticMQ(); ... await mq.stop();`
//
// The jars live outside git in $PARTITA_ELASTICMQ_CACHE, else
// $XDG_CACHE_HOME/partita/elasticmq-1.6.11, else ~/.cache/partita/elasticmq-1.6.11
// (beside tools/kafka's cache). Queues and messages are persisted in the
// server's data dir (queues in a file, messages in H2), so `kill()` followed
// by `restart()` keeps them. A running server is described by
// `<cache>/state-<port>.json` (pid, data dir), so another process can attach to it.
// Needs only Java 17+ and Maven on PATH.
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
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ELASTICMQ_VERSION = '1.6.11';
export const DEFAULT_PORT = 9324;
const here = dirname(fileURLToPath(import.meta.url));
const HOST = '127.0.0.1';

export function cacheDir() {
  if (process.env.PARTITA_ELASTICMQ_CACHE) return process.env.PARTITA_ELASTICMQ_CACHE;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'partita', `elasticmq-${ELASTICMQ_VERSION}`);
}
const libsDir = () => join(cacheDir(), 'libs');
const markerFile = () => join(cacheDir(), 'libs.complete');
const stateFile = (port) => join(cacheDir(), `state-${port}.json`);

const log = (msg) => {
  if (!process.env.PARTITA_ELASTICMQ_QUIET) process.stderr.write(`[tools/elasticmq] ${msg}\n`);
};

/** Throws with what to install when `cmd` is not on PATH. */
function requireTool(cmd, args, install) {
  const res = spawnSync(cmd, args, { stdio: 'ignore' });
  if (res.error) throw new Error(`${cmd} was not found on PATH (${res.error.message}); ${install}`);
}
const JAVA_HINT = 'install Java 17 or later (Debian: apt-get install openjdk-17-jre-headless)';
const MAVEN_HINT = 'install Maven (Debian: apt-get install maven), which fetches ElasticMQ from Maven Central once';

/** Downloads the server and its dependencies through Maven once; later calls return at once. */
export async function fetchElasticMQ() {
  if (existsSync(markerFile())) return { libs: libsDir(), fetched: false };
  requireTool('mvn', ['-v'], MAVEN_HINT);
  mkdirSync(cacheDir(), { recursive: true });
  const tmp = mkdtempSync(join(cacheDir(), 'libs-'));
  const started = Date.now();
  log(`fetching elasticmq-server_2.13:${ELASTICMQ_VERSION} through Maven into ${libsDir()} (once)`);
  const res = spawnSync(
    'mvn',
    ['-q', '-B', '-f', join(here, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`],
    { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
  );
  if (res.error || res.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(
      `mvn dependency:copy-dependencies failed (${res.error?.message ?? `exit ${res.status}`}); ` +
        `check that Maven Central is reachable, or ${MAVEN_HINT}:\n${(res.stdout + res.stderr).slice(-2000)}`,
    );
  }
  if (!existsSync(markerFile())) {
    rmSync(libsDir(), { recursive: true, force: true });
    renameSync(tmp, libsDir());
    writeFileSync(
      markerFile(),
      `elasticmq ${ELASTICMQ_VERSION} fetched ${new Date().toISOString()} in ${Date.now() - started} ms\n`,
    );
  } else rmSync(tmp, { recursive: true, force: true });
  log(`fetched in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { libs: libsDir(), fetched: true };
}

function serverConfig(dir, port) {
  return [
    'include classpath("application.conf")',
    `node-address { protocol = http, host = "${HOST}", port = ${port}, context-path = "" }`,
    `rest-sqs { enabled = true, bind-port = ${port}, bind-hostname = "${HOST}", sqs-limits = strict }`,
    'rest-stats { enabled = false }',
    'generate-node-address = false',
    `queues-storage { enabled = true, path = "${join(dir, 'queues.conf')}" }`,
    `messages-storage { enabled = true, uri = "jdbc:h2:${join(dir, 'messages')};WRITE_DELAY=0", prune-data-on-init = false }`,
    'aws { region = "elasticmq", accountId = "000000000000" }',
    '',
  ].join('\n');
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function portOpen(port, timeoutMs = 1000) {
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

/** True when an SQS-compatible server answers `ListQueues` at `endpoint` within `timeoutMs`. */
export async function isElasticMQ(endpoint, timeoutMs = 5000) {
  try {
    const res = await fetch(`${endpoint}/?Action=ListQueues&Version=2012-11-05`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    return res.ok && text.includes('ListQueuesResponse');
  } catch {
    return false;
  }
}

function readState(port = DEFAULT_PORT) {
  try {
    return JSON.parse(readFileSync(stateFile(port), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Spawns the server for `state` and waits until it answers `ListQueues`. */
async function launch(state, timeoutMs) {
  requireTool('java', ['-version'], JAVA_HINT);
  const out = openSync(join(state.dir, 'server.log'), 'a');
  const child = spawn(
    'java',
    [
      '-Xmx256m',
      '-Xms64m',
      '-XX:+UseSerialGC',
      '-Djava.awt.headless=true',
      `-Dconfig.file=${join(state.dir, 'elasticmq.conf')}`,
      '-cp',
      join(state.libs, '*'),
      'org.elasticmq.server.Main',
    ],
    { detached: true, stdio: ['ignore', out, out] },
  );
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
  writeFileSync(stateFile(state.port), JSON.stringify(state, null, 2));
  const deadline = Date.now() + timeoutMs;
  const tail = () => {
    try {
      return readFileSync(join(state.dir, 'server.log'), 'utf8').slice(-1500);
    } catch {
      return '';
    }
  };
  while (!(await isElasticMQ(state.endpoint, 2000))) {
    if (exited) throw new Error(`ElasticMQ exited (${exited}) before it answered:\n${tail()}`);
    if (Date.now() > deadline) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      throw new Error(`ElasticMQ did not answer on ${state.endpoint} within ${timeoutMs} ms:\n${tail()}`);
    }
    await sleep(200);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
async function terminate(pid, graceMs = 15_000) {
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

function handleFor(state, owned) {
  const known = state.dir !== undefined;
  const need = (what) => {
    if (!known) throw new Error(`cannot ${what}: the server on ${state.endpoint} was not started by tools/elasticmq`);
  };
  const current = () => readState(state.port) ?? state;
  return {
    endpoint: state.endpoint,
    port: state.port,
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
    async restart(timeoutMs = 60_000) {
      need('restart');
      const s = current();
      await terminate(s.pid);
      await launch(s, timeoutMs);
      state.pid = s.pid;
    },
    /** Stop the server and delete its data, unless it was already running (then: nothing). */
    async stop() {
      if (!owned) return;
      const s = current();
      await terminate(s.pid);
      rmSync(s.dir, { recursive: true, force: true });
      if (readState(state.port)?.dir === s.dir) rmSync(stateFile(state.port), { force: true });
    },
  };
}

/**
 * Starts (or reuses) ElasticMQ on 127.0.0.1:`port` (9324 by default).
 * Reuses a server that already answers there; `stop()` then leaves it running.
 */
export async function startElasticMQ(options = {}) {
  const port = options.port ?? DEFAULT_PORT;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const endpoint = `http://${HOST}:${port}`;
  const existing = readState(port);
  if (await portOpen(port)) {
    if (await isElasticMQ(endpoint)) {
      const mine = existing && existing.endpoint === endpoint && alive(existing.pid);
      log(`reusing the ElasticMQ already running on ${endpoint}`);
      return handleFor(mine ? existing : { endpoint, port }, false);
    }
    throw new Error(`port ${port} is in use by something that does not answer as an SQS server`);
  }
  if (existing?.pid && alive(existing.pid)) await terminate(existing.pid, 5000);
  if (existing?.dir) rmSync(existing.dir, { recursive: true, force: true });
  requireTool('java', ['-version'], JAVA_HINT);
  const { libs } = await fetchElasticMQ();
  const dir = mkdtempSync(join(tmpdir(), 'partita-elasticmq-'));
  writeFileSync(join(dir, 'elasticmq.conf'), serverConfig(dir, port));
  const state = { endpoint, port, dir, libs, pid: 0 };
  const started = Date.now();
  try {
    await launch(state, timeoutMs);
  } catch (err) {
    await terminate(state.pid, 2000);
    rmSync(dir, { recursive: true, force: true });
    rmSync(stateFile(port), { force: true });
    throw err;
  }
  log(
    `ElasticMQ ${ELASTICMQ_VERSION} started on ${endpoint} in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${state.pid}, dir ${dir})`,
  );
  return handleFor(state, true);
}

/** Attaches to the server another process started through tools/elasticmq, or undefined. */
export function attachElasticMQ(port = DEFAULT_PORT) {
  const state = readState(port);
  return state?.pid && alive(state.pid) ? handleFor(state, false) : undefined;
}

async function main(cmd) {
  switch (cmd) {
    case 'fetch': {
      const t = Date.now();
      const r = await fetchElasticMQ();
      console.log(r.fetched ? `fetched into ${r.libs} in ${Date.now() - t} ms` : `already cached in ${r.libs}`);
      return;
    }
    case 'start': {
      const mq = await startElasticMQ();
      console.log(
        mq.owned
          ? `ElasticMQ running on ${mq.endpoint} (pid ${mq.pid}); stop it with: npm run elasticmq -- stop`
          : `ElasticMQ already running on ${mq.endpoint}`,
      );
      return;
    }
    case 'stop': {
      const state = readState();
      if (!state) {
        console.log('no ElasticMQ started by tools/elasticmq is recorded');
        return;
      }
      await handleFor(state, true).stop();
      console.log(`stopped ElasticMQ (pid ${state.pid})`);
      return;
    }
    case 'status': {
      const state = readState();
      const up = await isElasticMQ(`http://${HOST}:${DEFAULT_PORT}`);
      console.log(JSON.stringify({ running: up, state: state && { ...state, alive: alive(state.pid) } }, null, 2));
      return;
    }
    default:
      console.error('usage: node tools/elasticmq/elasticmq.mjs fetch|start|stop|status');
      process.exitCode = 2;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv[2]).then(
    () => process.exit(process.exitCode ?? 0),
    (err) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
