import { kafkaTransport } from '@partita/kafka';
import type { SoakConnector } from './soak-connector.js';

export const KAFKA_BROKERS_ENV = 'PARTITA_KAFKA_BROKERS';
const DEFAULT_BROKERS = '127.0.0.1:19092';
const PARTITIONS = 8;

/**
 * Kafka: members are processes; short group timeouts so a killed member's
 * partitions move within seconds (the broker allows sessions from 1 s).
 */
export const kafkaConnector: SoakConnector = {
  name: 'kafka',
  members: 'processes',
  rebalanceDuplicates: true,
  keyOrderAcrossMembers: true,
  handler: { maxInFlight: 32, timeoutMs: 5_000 },
  open(_names, env) {
    const brokers = (env[KAFKA_BROKERS_ENV] ?? DEFAULT_BROKERS)
      .split(',')
      .map((b) => b.trim())
      .filter((b) => b !== '');
    return Promise.resolve({
      env: { [KAFKA_BROKERS_ENV]: brokers.join(',') },
      transport: (clientId) =>
        kafkaTransport({
          brokers,
          clientId,
          partitions: PARTITIONS,
          retryTiersMs: [],
          sessionTimeoutMs: 2_000,
          heartbeatIntervalMs: 250,
          rebalanceTimeoutMs: 3_000,
          maxWaitTimeMs: 100,
        }),
      async close() {},
    });
  },
};
