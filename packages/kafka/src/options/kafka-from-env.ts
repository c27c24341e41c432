import { ConfigError, redact } from '@partita/core';
import type { KafkaSaslOptions, KafkaTransportOptions } from './kafka-options.js';

/**
 * Reads Kafka options from the environment (twelve-factor):
 * `PARTITA_KAFKA_BROKERS` (required, comma-separated `host:port`),
 * `PARTITA_KAFKA_CLIENT_ID`, `PARTITA_KAFKA_SSL` (`true`/`false`),
 * `PARTITA_KAFKA_SASL_MECHANISM` (`plain` | `scram-sha-256` | `scram-sha-512`),
 * `PARTITA_KAFKA_SASL_USERNAME`, `PARTITA_KAFKA_SASL_PASSWORD`, and `PARTITA_DLQ_SUFFIX`
 * (the suffix of the dead-letter topics it provisions, as `createApp` uses it).
 * A bad value is a `ConfigError` naming the variable; the password is never echoed.
 */
export function kafkaOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): KafkaTransportOptions {
  const raw = env.PARTITA_KAFKA_BROKERS?.trim();
  if (!raw)
    throw new ConfigError(
      'PARTITA_KAFKA_BROKERS is not set; expected comma-separated host:port, e.g. "127.0.0.1:9092"',
    );
  const brokers = raw
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  const bad = brokers.find((b) => !/^[^\s:]+:\d{1,5}$/.test(b));
  if (bad !== undefined || brokers.length === 0) {
    throw new ConfigError(
      `PARTITA_KAFKA_BROKERS="${redact(raw)}" is invalid at "${redact(bad ?? '')}"; expected comma-separated host:port, e.g. "127.0.0.1:9092,10.0.0.2:9092"`,
    );
  }
  const sslRaw = env.PARTITA_KAFKA_SSL?.trim().toLowerCase();
  let ssl: boolean | undefined;
  if (sslRaw !== undefined && sslRaw !== '') {
    if (['true', '1', 'yes'].includes(sslRaw)) ssl = true;
    else if (['false', '0', 'no'].includes(sslRaw)) ssl = false;
    else
      throw new ConfigError(
        `PARTITA_KAFKA_SSL="${redact(env.PARTITA_KAFKA_SSL ?? '')}" is invalid; expected true or false`,
      );
  }
  const mechanism = env.PARTITA_KAFKA_SASL_MECHANISM?.trim().toLowerCase();
  const username = env.PARTITA_KAFKA_SASL_USERNAME;
  const password = env.PARTITA_KAFKA_SASL_PASSWORD;
  let sasl: KafkaSaslOptions | undefined;
  if (mechanism) {
    if (mechanism !== 'plain' && mechanism !== 'scram-sha-256' && mechanism !== 'scram-sha-512') {
      throw new ConfigError(
        `PARTITA_KAFKA_SASL_MECHANISM="${redact(env.PARTITA_KAFKA_SASL_MECHANISM ?? '')}" is invalid; expected plain, scram-sha-256 or scram-sha-512`,
      );
    }
    if (!username)
      throw new ConfigError(
        `PARTITA_KAFKA_SASL_USERNAME is not set; it is required when PARTITA_KAFKA_SASL_MECHANISM=${mechanism}`,
      );
    if (password === undefined || password === '') {
      throw new ConfigError(
        `PARTITA_KAFKA_SASL_PASSWORD is not set; it is required when PARTITA_KAFKA_SASL_MECHANISM=${mechanism}`,
      );
    }
    sasl = { mechanism, username, password };
  } else if (username || password) {
    throw new ConfigError(
      `PARTITA_KAFKA_SASL_MECHANISM is not set but ${username ? 'PARTITA_KAFKA_SASL_USERNAME' : 'PARTITA_KAFKA_SASL_PASSWORD="[redacted]"'} is; expected plain, scram-sha-256 or scram-sha-512`,
    );
  }
  const clientId = env.PARTITA_KAFKA_CLIENT_ID?.trim();
  // The same variable names the app's dead-letter topics (createApp), so the provisioned one matches.
  const dlqSuffix = env.PARTITA_DLQ_SUFFIX?.trim();
  return {
    ...(dlqSuffix ? { dlqSuffix } : {}),
    brokers,
    ...(clientId ? { clientId } : {}),
    ...(ssl !== undefined ? { ssl } : {}),
    ...(sasl ? { sasl } : {}),
  };
}
