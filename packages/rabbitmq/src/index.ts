export { rabbitmqTransport } from './transport/rabbitmq-transport.js';
export { rabbitmqFromEnv, transportFromEnv } from './env/rabbitmq-from-env.js';
export { resolveRabbitMqOptions } from './options/rabbitmq-transport-options.js';
export type {
  RabbitMqTransportOptions,
  RabbitMqTlsOptions,
  RabbitMqNames,
  ResolvedRabbitMqOptions,
} from './options/rabbitmq-transport-options.js';
export { delayTierFor } from './topology/topology.js';
export { provisionRabbitMq } from './topology/provision-rabbitmq.js';
export type { RabbitMqGroupDeclaration } from './topology/provision-rabbitmq.js';
export { PublishRefusedError, UnroutableError, mapAmqpError } from './errors/rabbitmq-errors.js';
export { KEY_HEADER, TOMBSTONE_HEADER, PROBE_HEADER, WAIT_HEADER } from './headers/amqp-record.js';
