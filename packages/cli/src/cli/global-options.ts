import type { OptionSpec } from './command-spec.js';

/** Options every command takes: where to connect, and how to print. */
export const GLOBAL_OPTIONS = {
  config: {
    type: 'string',
    value: 'file',
    description: 'config file (default: partita.config.yaml|yml|json here, or PARTITA_CONFIG)',
  },
  transport: {
    type: 'string',
    value: 'name',
    description: 'kafka, nats, redis, rabbitmq or sqs (or PARTITA_TRANSPORT)',
  },
  brokers: { type: 'string', value: 'list', description: 'Kafka brokers host:port,… (PARTITA_KAFKA_BROKERS)' },
  servers: { type: 'string', value: 'list', description: 'NATS servers nats://host:port,… (PARTITA_NATS_SERVERS)' },
  'redis-url': { type: 'string', value: 'url', description: 'Redis URL (PARTITA_REDIS_URL)' },
  'rabbitmq-url': { type: 'string', value: 'url', description: 'RabbitMQ URL amqp://… (PARTITA_RABBITMQ_URL)' },
  'sqs-endpoint': { type: 'string', value: 'url', description: 'SQS endpoint (PARTITA_SQS_ENDPOINT)' },
  url: {
    type: 'string',
    value: 'url',
    description: "a running app's admin endpoint instead of a broker (PARTITA_ADMIN_URL)",
  },
  token: {
    type: 'string',
    value: 'token',
    description: "the app's admin token for writes (prefer PARTITA_ADMIN_TOKEN: flags show in ps)",
  },
  json: { type: 'boolean', description: 'machine-readable JSON on stdout' },
  'no-color': { type: 'boolean', description: 'no colours (also NO_COLOR, or when not a terminal)' },
  timeout: {
    type: 'string',
    value: 'seconds',
    description: 'give up when the broker or app does not answer (default 30)',
  },
  help: { type: 'boolean', short: 'h', description: 'this help' },
} as const satisfies Record<string, OptionSpec>;

/** The connector flags and the variable each sets. */
export const CONNECTOR_FLAGS = {
  brokers: { transport: 'kafka', variable: 'PARTITA_KAFKA_BROKERS' },
  servers: { transport: 'nats', variable: 'PARTITA_NATS_SERVERS' },
  'redis-url': { transport: 'redis', variable: 'PARTITA_REDIS_URL' },
  'rabbitmq-url': { transport: 'rabbitmq', variable: 'PARTITA_RABBITMQ_URL' },
  'sqs-endpoint': { transport: 'sqs', variable: 'PARTITA_SQS_ENDPOINT' },
} as const;
