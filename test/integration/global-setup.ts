// Vitest globalSetup of the integration project. Starts the brokers that are
// not machine services (Kafka, through tools/kafka) once per run, hands their
// addresses to the tests with `provide`, and stops them afterwards.
//
// Kafka tests read `inject('kafka')`: `{ brokers, ... }` or `{ skip: reason }`.
// - PARTITA_KAFKA_BROKERS set: use that cluster, start nothing.
// - PARTITA_KAFKA=off: start nothing; Kafka tests skip.
// - Kafka cannot start: with PARTITA_REQUIRE_BROKERS=1 (or true) the run fails, else
//   the reason is handed on and Kafka tests skip printing it.
import type { TestProject } from 'vitest/node';
import { brokersRequired, REQUIRE_BROKERS_ENV } from '@partita/testing';
import { startKafka, type KafkaHandle } from '../../tools/kafka/kafka.mjs';

export interface KafkaTestBroker {
  readonly brokers?: string[];
  readonly saslBrokers?: string[];
  readonly sasl?: { readonly username: string; readonly password: string };
  /** tools/kafka started this broker: tests may kill and restart it. */
  readonly controllable?: boolean;
  readonly skip?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafka: KafkaTestBroker;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
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
      const reason = `Kafka could not start through tools/kafka: ${(err as Error).message.split('\n')[0]}`;
      if (brokersRequired())
        throw new Error(`${reason} (${REQUIRE_BROKERS_ENV} is set, so this fails instead of skipping)`, { cause: err });
      console.warn(`[global-setup] ${reason}; Kafka tests will be skipped`);
      project.provide('kafka', { skip: reason });
    }
  }
  return async () => {
    await handle?.stop();
  };
}
