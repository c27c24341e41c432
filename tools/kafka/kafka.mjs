#!/usr/bin/env node
// A real, single-node Apache Kafka (KRaft) for tests and benchmarks.
//
//   node tools/kafka/kafka.mjs fetch   download the jars once (Maven) into the cache
//   node tools/kafka/kafka.mjs start   start a broker on 127.0.0.1:19092 and leave it running
//   node tools/kafka/kafka.mjs stop    stop the broker `start` left running
//   node tools/kafka/kafka.mjs status  print what runs
//
// From code: `const kafka = await startKafka(); ... await kafka.stop();`
//
// The jars live outside git in $PARTITA_KAFKA_CACHE, else
// $XDG_CACHE_HOME/partita/kafka-3.9.1, else ~/.cache/partita/kafka-3.9.1.
// A running broker is described by `<cache>/state.json` (pid, data dir,
// config), so another process (a test worker, the CLI) can attach to it,
// kill it with SIGKILL and restart it on the same log dir.
// Needs only Java 17+ and Maven on PATH.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KAFKA_VERSION = '3.9.1';
const here = dirname(fileURLToPath(import.meta.url));
const HOST = '127.0.0.1';
/** Credentials of the SASL_PLAINTEXT listener (PLAIN and SCRAM-SHA-256). Test-only. */
export const SASL_USER = 'partita';
export const SASL_PASSWORD = 'partita-test-secret';

export function cacheDir() {
  if (process.env.PARTITA_KAFKA_CACHE) return process.env.PARTITA_KAFKA_CACHE;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'partita', `kafka-${KAFKA_VERSION}`);
}
const libsDir = () => join(cacheDir(), 'libs');
const markerFile = () => join(cacheDir(), 'libs.complete');
/** State of the broker started on `port` (one file per port, so several brokers can run side by side). */
const stateFile = (port = 19092) => join(cacheDir(), port === 19092 ? 'state.json' : `state-${port}.json`);

const log = (msg) => {
  if (!process.env.PARTITA_KAFKA_QUIET) process.stderr.write(`[tools/kafka] ${msg}\n`);
};

/** Downloads the broker jars through Maven once; later calls return at once. */
export async function fetchKafka() {
  if (existsSync(markerFile())) return { libs: libsDir(), fetched: false };
  mkdirSync(cacheDir(), { recursive: true });
  const tmp = mkdtempSync(join(cacheDir(), 'libs-'));
  const started = Date.now();
  log(`fetching kafka_2.13:${KAFKA_VERSION} through Maven into ${libsDir()} (once)`);
  const res = spawnSync(
    'mvn',
    ['-q', '-B', '-f', join(here, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`],
    { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
  );
  if (res.error || res.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(
      `mvn dependency:copy-dependencies failed (${res.error?.message ?? `exit ${res.status}`}): ${(res.stdout + res.stderr).slice(-2000)}`,
    );
  }
  if (!existsSync(markerFile())) {
    // another process may have won the race
    rmSync(libsDir(), { recursive: true, force: true });
    renameSync(tmp, libsDir());
    writeFileSync(
      markerFile(),
      `kafka ${KAFKA_VERSION} fetched ${new Date().toISOString()} in ${Date.now() - started} ms\n`,
    );
  } else rmSync(tmp, { recursive: true, force: true });
  log(`fetched in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { libs: libsDir(), fetched: true };
}

function serverProperties(dir, ports) {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${HOST}:${ports.controller}`,
    `listeners=PLAINTEXT://${HOST}:${ports.plain},CONTROLLER://${HOST}:${ports.controller},SASL_PLAINTEXT://${HOST}:${ports.sasl}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${ports.plain},SASL_PLAINTEXT://${HOST}:${ports.sasl}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256',
    `listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${SASL_USER}" password="${SASL_PASSWORD}" user_${SASL_USER}="${SASL_PASSWORD}";`,
    'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    `log.dirs=${join(dir, 'data')}`,
    'num.partitions=1',
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=8',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=4',
    'group.initial.rebalance.delay.ms=0',
    'group.min.session.timeout.ms=1000',
    'num.network.threads=2',
    'num.io.threads=4',
    'log.flush.interval.messages=9223372036854775807',
    '',
  ].join('\n');
}

const LOG4J = [
  'log4j.rootLogger=INFO, file',
  'log4j.appender.file=org.apache.log4j.FileAppender',
  'log4j.appender.file.File=${kafka.logs.dir}/server.log',
  'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
  'log4j.logger.kafka.request.logger=WARN',
  'log4j.logger.state.change.logger=WARN',
  'log4j.logger.org.apache.kafka.clients=WARN',
  '',
].join('\n');

function java(libs, dir, args, opts = {}) {
  return spawn(
    'java',
    [
      '-Xmx512m',
      '-Xms128m',
      '-XX:+UseSerialGC',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`,
      `-Dkafka.logs.dir=${dir}`,
      '-cp',
      join(libs, '*'),
      ...args,
    ],
    opts,
  );
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

/** True when a Kafka broker answers a metadata request on `brokers` within `timeoutMs`. */
export async function isKafka(brokers, timeoutMs = 10_000) {
  const { Kafka, logLevel } = (await import('kafkajs')).default;
  const admin = new Kafka({
    brokers,
    clientId: 'partita-tools-kafka',
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

function readState(port = 19092) {
  try {
    return JSON.parse(readFileSync(stateFile(port), 'utf8'));
  } catch {
    return undefined;
  }
}
const readStateOf = readState;
const portOf = (state) => Number(state.brokers[0].split(':')[1]);

/** Spawns the broker for `state` and waits for `Kafka Server started`, then for a metadata answer. */
async function launch(state, timeoutMs) {
  const logPath = join(state.dir, 'server.log');
  const from = existsSync(logPath) ? statSync(logPath).size : 0;
  const out = openSync(join(state.dir, 'stdout.log'), 'a');
  const child = java(state.libs, state.dir, ['kafka.Kafka', join(state.dir, 'server.properties')], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  let exited = null;
  child.once('exit', (code, signal) => {
    exited = signal ?? `exit ${code}`;
  });
  child.unref();
  state.pid = child.pid;
  writeFileSync(stateFile(portOf(state)), JSON.stringify(state, null, 2));
  const deadline = Date.now() + timeoutMs;
  const tail = () => {
    try {
      return (
        readFileSync(logPath, 'utf8')
          .slice(from)
          .split('\n')
          .filter((l) => / (ERROR|FATAL) /.test(l))
          .slice(-5)
          .join('\n') || readFileSync(join(state.dir, 'stdout.log'), 'utf8').slice(-1500)
      );
    } catch {
      return '';
    }
  };
  for (;;) {
    if (exited) throw new Error(`Kafka exited (${exited}) before it started:\n${tail()}`);
    let text = '';
    try {
      text = readFileSync(logPath, 'utf8').slice(from);
    } catch {
      /* not yet written */
    }
    if (text.includes('Kafka Server started')) break;
    if (Date.now() > deadline) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      throw new Error(`Kafka did not start within ${timeoutMs} ms:\n${tail()}`);
    }
    await sleep(250);
  }
  while (!(await isKafka(state.brokers, 5000))) {
    if (Date.now() > deadline)
      throw new Error(`Kafka logged "started" but did not answer metadata on ${state.brokers} within ${timeoutMs} ms`);
    await sleep(500);
  }
}

/** Stops the process of `state` (SIGTERM, then SIGKILL after `graceMs`) and waits for it to exit. */
async function terminate(pid, graceMs = 30_000) {
  if (!pid || !alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await sleep(200);
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    while (alive(pid)) await sleep(100);
  }
}

function handleFor(state, owned) {
  const port = portOf(state);
  const readState = () => readStateOf(port);
  const known = state.dir !== undefined;
  const need = (what) => {
    if (!known) throw new Error(`cannot ${what}: the broker on ${state.brokers} was not started by tools/kafka`);
  };
  return {
    brokers: state.brokers,
    saslBrokers: state.saslBrokers,
    sasl: { username: SASL_USER, password: SASL_PASSWORD },
    owned,
    controllable: known,
    get pid() {
      return readState()?.pid ?? state.pid;
    },
    /** SIGKILL the broker process now; the log dir stays for `restart`. */
    kill() {
      need('kill');
      const pid = readState()?.pid ?? state.pid;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    },
    /** Stop (if running) and start again on the same log dir; resolves when it answers metadata. */
    async restart(timeoutMs = 120_000) {
      need('restart');
      const current = readState() ?? state;
      await terminate(current.pid);
      await launch(current, timeoutMs);
      state.pid = current.pid;
    },
    /** Stop the broker and delete its data, unless it was already running (then: nothing). */
    async stop() {
      if (!owned) return;
      const current = readState() ?? state;
      await terminate(current.pid);
      rmSync(current.dir, { recursive: true, force: true });
      if (readState()?.dir === current.dir) rmSync(stateFile(port), { force: true });
    },
  };
}

/**
 * Starts (or reuses) a single-node KRaft Kafka on 127.0.0.1:19092.
 * Reuses a broker that already answers there; `stop()` then leaves it running.
 * @returns {Promise<{brokers: string[], saslBrokers: string[], sasl: {username: string, password: string}, owned: boolean, controllable: boolean, pid: number, stop(): Promise<void>, kill(): void, restart(timeoutMs?: number): Promise<void>}>}
 */
export async function startKafka(options = {}) {
  const ports = {
    plain: options.port ?? 19092,
    controller: options.controllerPort ?? 19093,
    sasl: options.saslPort ?? 19094,
  };
  const timeoutMs = options.timeoutMs ?? 120_000;
  const brokers = [`${HOST}:${ports.plain}`];
  const existing = readState(ports.plain);
  if (await portOpen(ports.plain)) {
    if (await isKafka(brokers)) {
      const mine = existing && existing.brokers?.[0] === brokers[0] && alive(existing.pid);
      log(`reusing the Kafka already running on ${brokers[0]}`);
      return handleFor(mine ? existing : { brokers, saslBrokers: [`${HOST}:${ports.sasl}`] }, false);
    }
    throw new Error(`port ${ports.plain} is in use by something that does not answer as Kafka`);
  }
  if (existing?.pid && alive(existing.pid)) await terminate(existing.pid, 5000); // a half-dead leftover
  if (existing?.dir) rmSync(existing.dir, { recursive: true, force: true });
  const { libs } = await fetchKafka();
  const dir = mkdtempSync(join(tmpdir(), 'partita-kafka-'));
  writeFileSync(join(dir, 'server.properties'), serverProperties(dir, ports));
  writeFileSync(join(dir, 'log4j.properties'), LOG4J);
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url'); // argparse would read it as an option
  const fmt = spawnSync(
    'java',
    [
      '-Xmx256m',
      `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`,
      `-Dkafka.logs.dir=${dir}`,
      '-cp',
      join(libs, '*'),
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      join(dir, 'server.properties'),
      '--add-scram',
      `SCRAM-SHA-256=[name=${SASL_USER},password=${SASL_PASSWORD}]`,
    ],
    { encoding: 'utf8' },
  );
  if (fmt.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`kafka-storage format failed: ${fmt.error?.message ?? ''}${fmt.stdout}${fmt.stderr}`);
  }
  const state = { brokers, saslBrokers: [`${HOST}:${ports.sasl}`], dir, libs, clusterId, pid: 0 };
  const started = Date.now();
  try {
    await launch(state, timeoutMs);
  } catch (err) {
    await terminate(state.pid, 2000);
    rmSync(dir, { recursive: true, force: true });
    rmSync(stateFile(ports.plain), { force: true });
    throw err;
  }
  log(
    `Kafka ${KAFKA_VERSION} started on ${brokers[0]} in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${state.pid}, dir ${dir})`,
  );
  return handleFor(state, true);
}

/** Attaches to the broker described by the state file (started by `startKafka` in another process), or undefined. */
export function attachKafka(port = 19092) {
  const state = readState(port);
  return state?.pid && alive(state.pid) ? handleFor(state, false) : undefined;
}

async function main(cmd) {
  switch (cmd) {
    case 'fetch': {
      const t = Date.now();
      const r = await fetchKafka();
      console.log(r.fetched ? `fetched into ${r.libs} in ${Date.now() - t} ms` : `already cached in ${r.libs}`);
      return;
    }
    case 'start': {
      const k = await startKafka();
      console.log(
        k.owned
          ? `Kafka running on ${k.brokers.join(',')} (pid ${k.pid}); stop it with: node tools/kafka/kafka.mjs stop`
          : `Kafka already running on ${k.brokers.join(',')}`,
      );
      return;
    }
    case 'stop': {
      const state = readState();
      if (!state) {
        console.log('no Kafka started by tools/kafka is recorded');
        return;
      }
      await handleFor(state, true).stop();
      console.log(`stopped Kafka (pid ${state.pid})`);
      return;
    }
    case 'status': {
      const state = readState();
      const up = await isKafka([`${HOST}:19092`], 5000);
      console.log(JSON.stringify({ running: up, state: state && { ...state, alive: alive(state.pid) } }, null, 2));
      return;
    }
    default:
      console.error('usage: node tools/kafka/kafka.mjs fetch|start|stop|status');
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
