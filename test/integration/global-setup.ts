// Vitest globalSetup of the integration project. Starts the brokers that are
// not machine services (Kafka through tools/kafka, ElasticMQ through
// tools/elasticmq) once per run, in parallel, hands their addresses to the
// tests with `provide`, and stops them afterwards.
//
// Kafka tests read `inject('kafka')`: `{ brokers, ... }` or `{ skip: reason }`.
// - PARTITA_KAFKA_BROKERS set: use that cluster, start nothing.
// - PARTITA_KAFKA=off: start nothing; Kafka tests skip.
// - Kafka cannot start: with PARTITA_REQUIRE_BROKERS=1 (or true) the run fails, else
//   the reason is handed on and Kafka tests skip printing it.
//
// SQS tests read `inject('elasticmq')`: `{ endpoint, controllable }` or `{ skip: reason }`.
// - PARTITA_SQS_ENDPOINT set: use that SQS-compatible server, start nothing.
// - PARTITA_ELASTICMQ=off: start nothing; SQS tests skip.
// - ElasticMQ cannot start: as for Kafka (fails under PARTITA_REQUIRE_BROKERS).
import type { TestProject } from 'vitest/node';
import { brokersRequired, REQUIRE_BROKERS_ENV } from '@partita/testing';
import { startElasticMQ, type ElasticMQHandle } from '../../tools/elasticmq/elasticmq.mjs';
import { startKafka, type KafkaHandle } from '../../tools/kafka/kafka.mjs';

export interface KafkaTestBroker {
  readonly brokers?: string[];
  readonly saslBrokers?: string[];
  readonly sasl?: { readonly username: string; readonly password: string };
  /** tools/kafka started this broker: tests may kill and restart it. */
  readonly controllable?: boolean;
  readonly skip?: string;
}

export interface ElasticMQTestServer {
  /** The SQS endpoint, `http://127.0.0.1:9324` when tools/elasticmq started it. */
  readonly endpoint?: string;
  /** tools/elasticmq started this server: tests may kill and restart it. */
  readonly controllable?: boolean;
  readonly skip?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafka: KafkaTestBroker;
    elasticmq: ElasticMQTestServer;
  }
}

/** Reason handed to the tests, or a thrown error under PARTITA_REQUIRE_BROKERS. */
function unavailable(what: string, err: unknown, tests: string): string {
  const reason = `${what}: ${(err as Error).message.split('\n')[0]}`;
  if (brokersRequired())
    throw new Error(`${reason} (${REQUIRE_BROKERS_ENV} is set, so this fails instead of skipping)`, { cause: err });
  console.warn(`[global-setup] ${reason}; ${tests} tests will be skipped`);
  return reason;
}

async function setupElasticMQ(project: TestProject): Promise<ElasticMQHandle | undefined> {
  const external = process.env.PARTITA_SQS_ENDPOINT;
  if (external) {
    project.provide('elasticmq', { endpoint: external, controllable: false });
    return undefined;
  }
  if (process.env.PARTITA_ELASTICMQ === 'off') {
    project.provide('elasticmq', { skip: 'PARTITA_ELASTICMQ=off' });
    return undefined;
  }
  try {
    const handle = await startElasticMQ();
    project.provide('elasticmq', { endpoint: handle.endpoint, controllable: handle.controllable });
    return handle;
  } catch (err) {
    project.provide('elasticmq', {
      skip: unavailable('ElasticMQ could not start through tools/elasticmq', err, 'SQS'),
    });
    return undefined;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const elasticmq = setupElasticMQ(project);
  // Settled here so a Kafka failure does not leave the ElasticMQ start unobserved.
  elasticmq.catch(() => undefined);
  let handle: KafkaHandle | undefined;
  const external = process.env.PARTITA_KAFKA_BROKERS;
  if (external) {
    project.provide('kafka', { brokers: external.split(',').map((b) => b.trim()), controllable: false });
  } else if (process.env.PARTITA_KAFKA === 'off') {
    project.provide('kafka', { skip: 'PARTITA_KAFKA=off' });
  } else {
    try {
      handle = await startKafka();
      project.provide('kafka', {
        brokers: handle.brokers,
        saslBrokers: handle.saslBrokers,
        sasl: handle.sasl,
        controllable: handle.controllable,
      });
    } catch (err) {
      let reason: string;
      try {
        reason = unavailable('Kafka could not start through tools/kafka', err, 'Kafka');
      } catch (fatal) {
        await (await elasticmq.catch(() => undefined))?.stop();
        throw fatal;
      }
      project.provide('kafka', { skip: reason });
    }
  }
  let sqsHandle: ElasticMQHandle | undefined;
  try {
    sqsHandle = await elasticmq;
  } catch (err) {
    await handle?.stop();
    throw err;
  }
  return async () => {
    await Promise.all([handle?.stop(), sqsHandle?.stop()]);
  };
}
