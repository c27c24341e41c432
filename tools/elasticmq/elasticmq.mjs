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
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  HOST,
  alive,
  cacheDirFor,
  fetchJars,
  fileTail,
  launchJava,
  readState as readStateFile,
  serverHandle,
  toolLog,
  serverCli,
  startServer,
} from '../maven-server/maven-server.mjs';

export const ELASTICMQ_VERSION = '1.6.11';
export const DEFAULT_PORT = 9324;
const here = dirname(fileURLToPath(import.meta.url));

export const cacheDir = () => cacheDirFor('PARTITA_ELASTICMQ_CACHE', `elasticmq-${ELASTICMQ_VERSION}`);
const stateFile = (port) => join(cacheDir(), `state-${port}.json`);
const log = toolLog('elasticmq', 'PARTITA_ELASTICMQ_QUIET');

/** Downloads the server and its dependencies through Maven once; later calls return at once. */
export const fetchElasticMQ = () =>
  fetchJars({
    cache: cacheDir(),
    pom: join(here, 'pom.xml'),
    artifact: `elasticmq-server_2.13:${ELASTICMQ_VERSION}`,
    log,
  });

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

const readState = (port = DEFAULT_PORT) => readStateFile(stateFile(port));

/** Spawns the server for `state` and waits until it answers `ListQueues`. */
const launch = (state, timeoutMs = 60_000) =>
  launchJava({
    state,
    stateFile: stateFile(state.port),
    jvm: [
      '-Xmx256m',
      '-Xms64m',
      '-XX:+UseSerialGC',
      '-Djava.awt.headless=true',
      `-Dconfig.file=${join(state.dir, 'elasticmq.conf')}`,
    ],
    args: ['org.elasticmq.server.Main'],
    outFile: join(state.dir, 'server.log'),
    ready: () => isElasticMQ(state.endpoint, 2000),
    tail: () => fileTail(join(state.dir, 'server.log')),
    what: `ElasticMQ on ${state.endpoint}`,
    timeoutMs,
  });

const handleFor = (state, owned) =>
  serverHandle({
    state,
    owned,
    stateFile: stateFile(state.port),
    relaunch: launch,
    what: `the server on ${state.endpoint}`,
    graceMs: 15_000,
    fields: { address: state.endpoint, endpoint: state.endpoint, port: state.port },
  });

/**
 * Starts (or reuses) ElasticMQ on 127.0.0.1:`port` (9324 by default).
 * Reuses a server that already answers there; `stop()` then leaves it running.
 */
export async function startElasticMQ(options = {}) {
  const port = options.port ?? DEFAULT_PORT;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const endpoint = `http://${HOST}:${port}`;
  return startServer({
    port,
    probe: () => isElasticMQ(endpoint),
    readState: () => readState(port),
    stateFile: stateFile(port),
    prepare: async () => {
      const { libs } = await fetchElasticMQ();
      const dir = mkdtempSync(join(tmpdir(), 'partita-elasticmq-'));
      writeFileSync(join(dir, 'elasticmq.conf'), serverConfig(dir, port));
      return { endpoint, port, dir, libs, pid: 0 };
    },
    launch: (state) => launch(state, timeoutMs),
    handleFor: (state, owned) => handleFor(state ?? { endpoint, port }, owned),
    what: `ElasticMQ ${ELASTICMQ_VERSION}`,
    log,
  });
}

/** Attaches to the server another process started through tools/elasticmq, or undefined. */
export function attachElasticMQ(port = DEFAULT_PORT) {
  const state = readState(port);
  return state?.pid && alive(state.pid) ? handleFor(state, false) : undefined;
}

serverCli({
  moduleUrl: import.meta.url,
  tool: 'elasticmq',
  what: 'ElasticMQ',
  fetch: fetchElasticMQ,
  start: startElasticMQ,
  readState,
  handleFor,
  probe: () => isElasticMQ(`http://${HOST}:${DEFAULT_PORT}`),
});
