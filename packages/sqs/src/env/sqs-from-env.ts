import { envError, envReader, type Env, type Transport } from '@partita/core';
import type { SqsTransportOptions } from '../options/sqs-options.js';
import { sqsTransport } from '../transport/sqs-transport.js';

/**
 * Options from the environment: `PARTITA_SQS_ENDPOINT` (ElasticMQ,
 * LocalStack), `PARTITA_SQS_REGION`, `PARTITA_SQS_QUEUE_PREFIX`,
 * `PARTITA_DLQ_SUFFIX`. Credentials and (without `PARTITA_SQS_REGION`) the
 * region come from the SDK's standard chain (`AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`, `AWS_PROFILE`, ...).
 * A bad value is a `ConfigError` naming the variable.
 */
export function sqsFromEnv(env: Env = process.env, overrides: SqsTransportOptions = {}): SqsTransportOptions {
  const r = envReader(env);
  const out: { -readonly [K in keyof SqsTransportOptions]: SqsTransportOptions[K] } = {};
  const endpoint = r.string('PARTITA_SQS_ENDPOINT');
  if (endpoint !== undefined) {
    if (!/^https?:\/\/[^\s]+$/.test(endpoint))
      throw envError('PARTITA_SQS_ENDPOINT', endpoint, 'an http(s) URL like http://127.0.0.1:9324');
    out.endpoint = endpoint;
  }
  const region = r.string('PARTITA_SQS_REGION');
  if (region !== undefined) {
    if (!/^[a-z0-9-]+$/.test(region)) throw envError('PARTITA_SQS_REGION', region, 'a region name like eu-west-1');
    out.region = region;
  }
  const prefix = r.string('PARTITA_SQS_QUEUE_PREFIX');
  if (prefix !== undefined) {
    if (!/^[A-Za-z0-9-]{1,20}$/.test(prefix))
      throw envError('PARTITA_SQS_QUEUE_PREFIX', prefix, 'at most 20 of [A-Za-z0-9-]');
    out.queuePrefix = prefix;
  }
  const dlq = r.string('PARTITA_DLQ_SUFFIX');
  if (dlq !== undefined) out.dlqSuffix = dlq;
  return { ...out, ...overrides };
}

/** What core's `transportFromEnv()` calls after loading `@partita/sqs`. */
export function transportFromEnv(env: Env = process.env): Transport {
  return sqsTransport(sqsFromEnv(env));
}
