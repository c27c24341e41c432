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
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  HOST,
  alive,
  cacheDirFor,
  fileTail,
  fetchJars,
  launchJava,
  readState as readStateFile,
  serverHandle,
  toolLog,
  serverCli,
  startServer,
} from '../maven-server/maven-server.mjs';

export const KAFKA_VERSION = '3.9.1';
const here = dirname(fileURLToPath(import.meta.url));
/** Credentials of the SASL_PLAINTEXT listener (PLAIN and SCRAM-SHA-256). Test-only. */
export const SASL_USER = 'partita';
export const SASL_PASSWORD = 'partita-test-secret';

export const cacheDir = () => cacheDirFor('PARTITA_KAFKA_CACHE', `kafka-${KAFKA_VERSION}`);
/** State of the broker started on `port` (one file per port, so several brokers can run side by side). */
const stateFile = (port = 19092) => join(cacheDir(), port === 19092 ? 'state.json' : `state-${port}.json`);
const log = toolLog('kafka', 'PARTITA_KAFKA_QUIET');

/** Downloads the broker jars through Maven once; later calls return at once. */
export const fetchKafka = () =>
  fetchJars({ cache: cacheDir(), pom: join(here, 'pom.xml'), artifact: `kafka_2.13:${KAFKA_VERSION}`, log });

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

const readState = (port = 19092) => readStateFile(stateFile(port));
const portOf = (state) => Number(state.brokers[0].split(':')[1]);

/** Spawns the broker for `state` and waits for `Kafka Server started`, then for a metadata answer. */
async function launch(state, timeoutMs = 120_000) {
  const logPath = join(state.dir, 'server.log');
  const from = existsSync(logPath) ? statSync(logPath).size : 0;
  const logText = () => {
    try {
      return readFileSync(logPath, 'utf8').slice(from);
    } catch {
      return ''; // not yet written
    }
  };
  await launchJava({
    state,
    stateFile: stateFile(portOf(state)),
    jvm: [
      '-Xmx512m',
      '-Xms128m',
      '-XX:+UseSerialGC',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${join(state.dir, 'log4j.properties')}`,
      `-Dkafka.logs.dir=${state.dir}`,
    ],
    args: ['kafka.Kafka', join(state.dir, 'server.properties')],
    outFile: join(state.dir, 'stdout.log'),
    ready: async () => logText().includes('Kafka Server started') && (await isKafka(state.brokers, 5000)),
    tail: () =>
      logText()
        .split('\n')
        .filter((l) => / (ERROR|FATAL) /.test(l))
        .slice(-5)
        .join('\n') || fileTail(join(state.dir, 'stdout.log')),
    what: `Kafka on ${state.brokers}`,
    timeoutMs,
  });
}

function handleFor(state, owned) {
  return serverHandle({
    state,
    owned,
    stateFile: stateFile(portOf(state)),
    relaunch: launch,
    what: `the broker on ${state.brokers}`,
    graceMs: 30_000,
    fields: {
      address: state.brokers.join(','),
      brokers: state.brokers,
      saslBrokers: state.saslBrokers,
      sasl: { username: SASL_USER, password: SASL_PASSWORD },
    },
  });
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
  const saslBrokers = [`${HOST}:${ports.sasl}`];
  return startServer({
    port: ports.plain,
    probe: () => isKafka(brokers),
    readState: () => readState(ports.plain),
    stateFile: stateFile(ports.plain),
    prepare: async () => {
      const { libs } = await fetchKafka();
      const dir = mkdtempSync(join(tmpdir(), 'partita-kafka-'));
      writeFileSync(join(dir, 'server.properties'), serverProperties(dir, ports));
      writeFileSync(join(dir, 'log4j.properties'), LOG4J);
      formatStorage(libs, dir);
      return { brokers, saslBrokers, dir, libs, pid: 0 };
    },
    launch: (state) => launch(state, timeoutMs),
    handleFor: (state, owned) => handleFor(state ?? { brokers, saslBrokers }, owned),
    what: `Kafka ${KAFKA_VERSION}`,
    log,
  });
}

/** `kafka-storage format` of a new log dir, with the SCRAM user of the SASL listener. */
function formatStorage(libs, dir) {
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
}

/** Attaches to the broker described by the state file (started by `startKafka` in another process), or undefined. */
export function attachKafka(port = 19092) {
  const state = readState(port);
  return state?.pid && alive(state.pid) ? handleFor(state, false) : undefined;
}

serverCli({
  moduleUrl: import.meta.url,
  tool: 'kafka',
  what: 'Kafka',
  fetch: fetchKafka,
  start: startKafka,
  readState,
  handleFor,
  probe: () => isKafka([`${HOST}:19092`], 5000),
});
