import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { jsonCodec, type Transport } from '@partita/core';
import { kafkaTransport } from '@partita/kafka';
import { natsTransport } from '@partita/nats';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { streamNameFor, ackWaitFor, resolveNatsOptions } from '@partita/nats';
import type { Member, MemberReport } from './member-report.js';
import type { RebalanceRig } from './rebalance-rig.js';

const memberMain = fileURLToPath(new URL('./rebalance-member.js', import.meta.url));

/** Start a member process and resolve once it reported `ready`. */
function forkMember(id: string, config: object, report: (r: MemberReport) => void): Promise<Member> {
  const child: ChildProcess = fork(memberMain, [JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.on('message', (r: MemberReport) => {
      report(r);
      if (r.t === 'ready')
        resolve({
          id,
          async stop() {
            child.kill('SIGTERM');
            await exited;
          },
          async kill() {
            child.kill('SIGKILL');
            await exited;
          },
        });
      if (r.t === 'error') reject(new Error(`member ${id}: ${r.message}`));
    });
    child.once('exit', (code) => reject(new Error(`member ${id} exited (${code}) before it was ready`)));
  });
}

const { Kafka, logLevel } = kafkajs;

/** Kafka at PARTITA_KAFKA_BROKERS (default 127.0.0.1:19092): a 12-partition topic, members are child processes. */
export async function kafkaRig(topic: string, group: string): Promise<RebalanceRig> {
  const brokers = (process.env.PARTITA_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
  const partitions = 12;
  const admin = new Kafka({
    brokers,
    logLevel: logLevel.NOTHING,
    clientId: 'bench-rebalance',
    retry: { retries: 1 },
  }).admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  const producer: Transport = kafkaTransport({
    brokers,
    clientId: 'bench-rebalance',
    provisionTopics: false,
    retryTiersMs: [],
    dlqSuffix: false,
  });
  await producer.connect();
  return {
    name: 'kafka',
    partitions,
    // The connector's defaults (packages/kafka README), which the members run with.
    timeouts: { sessionTimeoutMs: 30_000, heartbeatIntervalMs: 3_000, rebalanceTimeoutMs: 60_000 },
    topic,
    publish: (records) => producer.publish(records),
    spawn: (id, report) => forkMember(id, { broker: 'kafka', topic, group, brokers }, report),
    async close() {
      await producer.close();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

/** NATS JetStream at PARTITA_NATS_SERVERS: one stream, one durable shared by the members (child processes). */
export async function natsRig(topic: string, group: string): Promise<RebalanceRig> {
  const servers = (process.env.PARTITA_NATS_SERVERS ?? 'nats://127.0.0.1:4222').split(',');
  const producer = natsTransport({ servers });
  await producer.connect();
  // The first record creates the stream, as partita's publish does.
  await producer.publish([{ topic, value: jsonCodec.encode({ seq: -1 }), headers: {} }]);
  const timeoutMs = 30_000; // the handler's default timeoutMs
  const ackWaitMs = ackWaitFor({ timeoutMs } as Parameters<typeof ackWaitFor>[0], resolveNatsOptions({ servers }));
  return {
    name: 'nats',
    partitions: 1,
    timeouts: { ackWaitMs },
    topic,
    publish: (records) => producer.publish(records),
    spawn: (id, report) => forkMember(id, { broker: 'nats', topic, group, servers }, report),
    async close() {
      await producer.close();
      const nc = await connect({ servers });
      const jsm = await jetstreamManager(nc);
      await jsm.streams.delete(streamNameFor(topic)).catch(() => undefined);
      await nc.close();
    },
  };
}
