import { kafkaOptionsFromEnv } from '../options/kafka-from-env.js';
import type { KafkaTransportOptions } from '../options/kafka-options.js';
import { kafkaTransport, type KafkaTransport } from './kafka-transport.js';

/**
 * A Kafka transport configured from the environment (`PARTITA_KAFKA_*`, see
 * `kafkaOptionsFromEnv`), with `overrides` applied on top.
 */
export function kafkaFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: Partial<KafkaTransportOptions> = {},
): KafkaTransport {
  return kafkaTransport({ ...kafkaOptionsFromEnv(env), ...overrides });
}

/** Hook that core's `transportFromEnv()` calls after importing `@partita/kafka`. */
export function transportFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): KafkaTransport {
  return kafkaFromEnv(env);
}
