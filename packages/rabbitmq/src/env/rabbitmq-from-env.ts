import { ConfigError, envReader, redact, type Env, type Transport } from '@partita/core';
import { rabbitSecrets, type RabbitMqTransportOptions } from '../options/rabbitmq-transport-options.js';
import { rabbitmqTransport } from '../transport/rabbitmq-transport.js';

/**
 * Options from the environment:
 * `PARTITA_RABBITMQ_URL` (`amqp://user:pass@host:5672/vhost`, `amqps://` for
 * TLS; several comma-separated URLs are tried in turn),
 * `PARTITA_RABBITMQ_PARTITIONS` (partition queues per topic and group),
 * `PARTITA_RABBITMQ_QUEUE_TYPE` (`quorum` | `classic`),
 * `PARTITA_RABBITMQ_PREFIX` (prefix of exchange and queue names),
 * `PARTITA_RABBITMQ_TLS_CA_FILE` / `_CERT_FILE` / `_KEY_FILE` (PEM paths for amqps),
 * `PARTITA_DLQ_SUFFIX`.
 * A bad value is a `ConfigError` naming the variable; credentials are never echoed.
 */
export function rabbitmqFromEnv(
  env: Env = process.env,
  overrides: RabbitMqTransportOptions = {},
): RabbitMqTransportOptions {
  const r = envReader(env);
  const out: { -readonly [K in keyof RabbitMqTransportOptions]: RabbitMqTransportOptions[K] } = {};
  const urls = r.string('PARTITA_RABBITMQ_URL');
  if (urls !== undefined) {
    const list = urls
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u !== '');
    for (const u of list) {
      if (!/^amqps?:\/\/[^\s]+$/.test(u)) {
        throw new ConfigError(
          `environment variable PARTITA_RABBITMQ_URL: "${redact(u, { secrets: rabbitSecrets({ urls: list }) })}" is not a RabbitMQ URL; expected amqp://user:pass@host:5672/vhost or amqps://… (comma-separated for several)`,
        );
      }
    }
    out.url = list;
  }
  const partitions = r.int('PARTITA_RABBITMQ_PARTITIONS', 1, 1024);
  if (partitions !== undefined) out.partitions = partitions;
  const queueType = r.oneOf('PARTITA_RABBITMQ_QUEUE_TYPE', ['quorum', 'classic'] as const);
  if (queueType !== undefined) out.queueType = queueType;
  const prefix = r.string('PARTITA_RABBITMQ_PREFIX');
  if (prefix !== undefined) out.prefix = prefix;
  const caFile = r.string('PARTITA_RABBITMQ_TLS_CA_FILE');
  const certFile = r.string('PARTITA_RABBITMQ_TLS_CERT_FILE');
  const keyFile = r.string('PARTITA_RABBITMQ_TLS_KEY_FILE');
  if (caFile !== undefined || certFile !== undefined || keyFile !== undefined)
    out.tls = {
      ...(caFile !== undefined ? { caFile } : {}),
      ...(certFile !== undefined ? { certFile } : {}),
      ...(keyFile !== undefined ? { keyFile } : {}),
    };
  const dlq = r.string('PARTITA_DLQ_SUFFIX');
  if (dlq !== undefined) out.dlqSuffix = dlq;
  return { ...out, ...overrides };
}

/** What core's `transportFromEnv()` calls after loading `@partita/rabbitmq`. */
export function transportFromEnv(env: Env = process.env): Transport {
  return rabbitmqTransport(rabbitmqFromEnv(env));
}
