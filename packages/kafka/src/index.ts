export { kafkaTransport } from './transport/kafka-transport.js';
export type { KafkaTransport } from './transport/kafka-transport.js';
export { resolveKafkaOptions } from './options/kafka-options.js';
export type { KafkaTransportOptions, KafkaSslOptions, KafkaSaslOptions } from './options/kafka-options.js';
export { kafkaOptionsFromEnv } from './options/kafka-from-env.js';
export { kafkaFromEnv, transportFromEnv } from './transport/kafka-from-env.js';
export { mapKafkaError } from './errors/map-kafka-error.js';
export { DELIVER_AT_HEADER, retryTopicName, tierFor, tierLabel } from './topics/retry-tiers.js';
