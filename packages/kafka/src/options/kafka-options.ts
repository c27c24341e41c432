import type { ISocketFactory } from 'kafkajs';
import type { Clock, Logger } from '@partita/core';
import { ComponentLogger, ConfigError, optionError, redact, systemClock } from '@partita/core';

/** TLS settings passed to Node's `tls.connect` (kafkajs `ssl`). `true` = TLS with system CAs. */
export type KafkaSslOptions =
  | boolean
  | {
      readonly rejectUnauthorized?: boolean;
      readonly ca?: string | Buffer | readonly (string | Buffer)[];
      readonly cert?: string | Buffer;
      readonly key?: string | Buffer;
      readonly servername?: string;
    };

/** SASL authentication (kafkajs `sasl`). */
export interface KafkaSaslOptions {
  readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  readonly username: string;
  readonly password: string;
}

/** Options of `kafkaTransport`. Every field except `brokers` has a default. */
export interface KafkaTransportOptions {
  /** Bootstrap brokers, `host:port`. Required, non-empty. */
  readonly brokers: readonly string[];
  /** @defaultValue 'partita' */
  readonly clientId?: string;
  /** @defaultValue false (plaintext) */
  readonly ssl?: KafkaSslOptions;
  /** @defaultValue undefined (no SASL) */
  readonly sasl?: KafkaSaslOptions;
  /** Create missing topics (the topic, its dead-letter topic, its retry tiers) with `partitions` and `replicationFactor`. @defaultValue true */
  readonly provisionTopics?: boolean;
  /** Partitions of provisioned topics. @defaultValue 4 */
  readonly partitions?: number;
  /** Replication factor of provisioned topics. @defaultValue 1 */
  readonly replicationFactor?: number;
  /** Dead-letter suffix whose topic is provisioned beside each subscribed topic; `false` = none. @defaultValue '.dlq' */
  readonly dlqSuffix?: string | false;
  /**
   * Delays (ms) of the retry-tier topics `<topic>.retry.<delay>`; a delayed
   * record goes to the smallest tier not shorter than its delay. Empty
   * disables native delay. @defaultValue [1_000, 10_000, 60_000, 600_000]
   */
  readonly retryTiersMs?: readonly number[];
  /** Idempotent producer (needs acks=all and one request in flight). @defaultValue true */
  readonly idempotent?: boolean;
  /** Producer acks: -1 (all in-sync replicas), 1 (leader) or 0. Must be -1 with `idempotent`. @defaultValue -1 */
  readonly acks?: -1 | 0 | 1;
  /** Consumer group session timeout. @defaultValue 30_000 */
  readonly sessionTimeoutMs?: number;
  /** Consumer heartbeat interval; below a third of the session timeout. @defaultValue 3_000 */
  readonly heartbeatIntervalMs?: number;
  /** How long the coordinator waits for members to rejoin. @defaultValue 60_000 */
  readonly rebalanceTimeoutMs?: number;
  /** Upper bound of bytes fetched per partition per request. @defaultValue 1_048_576 */
  readonly maxBytesPerPartition?: number;
  /** Max wait of a fetch request when no data is available. @defaultValue 500 */
  readonly maxWaitTimeMs?: number;
  /** Connection timeout. @defaultValue 3_000 */
  readonly connectionTimeoutMs?: number;
  /** Request timeout. @defaultValue 30_000 */
  readonly requestTimeoutMs?: number;
  /** kafkajs retry policy of requests (connect, metadata, commits). @defaultValue { retries: 5, initialRetryTimeMs: 300, maxRetryTimeMs: 30_000 } */
  readonly retry?: {
    readonly retries?: number;
    readonly initialRetryTimeMs?: number;
    readonly maxRetryTimeMs?: number;
  };
  /** Commit metadata longer than this is dropped (the broker's `offset.metadata.max.bytes`). @defaultValue 4096 */
  readonly maxCommitMetadataBytes?: number;
  /**
   * Advanced: opens every broker connection (kafkajs `socketFactory`), e.g. to
   * route all traffic through a proxy. @defaultValue kafkajs' net/tls factory
   */
  readonly socketFactory?: ISocketFactory;
  /** @defaultValue systemClock */
  readonly clock?: Clock;
  /**
   * Receives the connector's lines and kafkajs' (through a kafkajs
   * `logCreator`, at the logger's level), with `component: 'kafka'`.
   * @defaultValue the logger of the app it runs for (`attach`), else `defaultLogger()`
   */
  readonly logger?: Logger;
}

export type ResolvedKafkaOptions = Required<
  Omit<KafkaTransportOptions, 'ssl' | 'sasl' | 'logger' | 'retry' | 'socketFactory'>
> & {
  readonly socketFactory: ISocketFactory | undefined;
  readonly retry: { readonly retries: number; readonly initialRetryTimeMs: number; readonly maxRetryTimeMs: number };
  readonly ssl: KafkaSslOptions;
  readonly sasl: KafkaSaslOptions | undefined;
  readonly logs: ComponentLogger;
};

const positiveInt = (name: string, v: unknown, min = 1): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw optionError('kafkaTransport', name, `an integer >= ${min}`, v);
  }
  return v;
};

/** Validates options at the boundary and fills in defaults. Throws `ConfigError` naming the option. */
export function resolveKafkaOptions(options: KafkaTransportOptions): ResolvedKafkaOptions {
  if (options === null || typeof options !== 'object')
    throw new ConfigError('kafkaTransport: options must be an object with at least { brokers }');
  const { brokers } = options;
  if (
    !Array.isArray(brokers) ||
    brokers.length === 0 ||
    !brokers.every((b) => typeof b === 'string' && /^[^\s:]+:\d+$/.test(b))
  ) {
    throw new ConfigError(
      `kafkaTransport: option "brokers" must be a non-empty array of "host:port" strings, got ${redact(JSON.stringify(brokers) ?? String(brokers))}`,
    );
  }
  const sasl = options.sasl;
  if (options.socketFactory !== undefined && typeof options.socketFactory !== 'function')
    throw new ConfigError(
      'kafkaTransport: option "socketFactory" must be a function ({ host, port, ssl, onConnect }) => socket',
    );
  if (sasl !== undefined) {
    if (!sasl || !['plain', 'scram-sha-256', 'scram-sha-512'].includes(sasl.mechanism)) {
      throw new ConfigError(
        `kafkaTransport: option "sasl.mechanism" must be "plain", "scram-sha-256" or "scram-sha-512", got ${JSON.stringify(sasl?.mechanism)}`,
      );
    }
    if (typeof sasl.username !== 'string' || sasl.username === '')
      throw new ConfigError('kafkaTransport: option "sasl.username" must be a non-empty string');
    if (typeof sasl.password !== 'string')
      throw new ConfigError('kafkaTransport: option "sasl.password" must be a string');
  }
  const tiers = [...(options.retryTiersMs ?? [1_000, 10_000, 60_000, 600_000])];
  tiers.forEach((t, i) => positiveInt(`retryTiersMs[${i}]`, t));
  tiers.sort((a, b) => a - b);
  if (new Set(tiers).size !== tiers.length)
    throw new ConfigError(
      `kafkaTransport: option "retryTiersMs" must not repeat a delay, got ${JSON.stringify(options.retryTiersMs)}`,
    );
  const idempotent = options.idempotent ?? true;
  const acks = options.acks ?? -1;
  if (![-1, 0, 1].includes(acks))
    throw new ConfigError(`kafkaTransport: option "acks" must be -1, 0 or 1, got ${String(acks)}`);
  if (idempotent && acks !== -1)
    throw new ConfigError('kafkaTransport: option "acks" must be -1 (all) when "idempotent" is true');
  const sessionTimeoutMs = positiveInt('sessionTimeoutMs', options.sessionTimeoutMs ?? 30_000, 1000);
  const heartbeatIntervalMs = positiveInt(
    'heartbeatIntervalMs',
    options.heartbeatIntervalMs ?? Math.min(3_000, Math.floor(sessionTimeoutMs / 3)),
    100,
  );
  if (heartbeatIntervalMs >= sessionTimeoutMs)
    throw new ConfigError(
      `kafkaTransport: option "heartbeatIntervalMs" (${heartbeatIntervalMs}) must be below "sessionTimeoutMs" (${sessionTimeoutMs})`,
    );
  const dlqSuffix = options.dlqSuffix ?? '.dlq';
  if (dlqSuffix !== false && (typeof dlqSuffix !== 'string' || dlqSuffix === ''))
    throw new ConfigError('kafkaTransport: option "dlqSuffix" must be a non-empty string or false');
  return {
    brokers: [...options.brokers],
    clientId: options.clientId ?? 'partita',
    ssl: options.ssl ?? false,
    sasl,
    provisionTopics: options.provisionTopics ?? true,
    partitions: positiveInt('partitions', options.partitions ?? 4),
    replicationFactor: positiveInt('replicationFactor', options.replicationFactor ?? 1),
    dlqSuffix,
    retryTiersMs: tiers,
    idempotent,
    acks,
    sessionTimeoutMs,
    heartbeatIntervalMs,
    rebalanceTimeoutMs: positiveInt('rebalanceTimeoutMs', options.rebalanceTimeoutMs ?? 60_000, 1000),
    maxBytesPerPartition: positiveInt('maxBytesPerPartition', options.maxBytesPerPartition ?? 1_048_576, 1024),
    maxWaitTimeMs: positiveInt('maxWaitTimeMs', options.maxWaitTimeMs ?? 500, 0),
    connectionTimeoutMs: positiveInt('connectionTimeoutMs', options.connectionTimeoutMs ?? 3_000),
    requestTimeoutMs: positiveInt('requestTimeoutMs', options.requestTimeoutMs ?? 30_000),
    maxCommitMetadataBytes: positiveInt('maxCommitMetadataBytes', options.maxCommitMetadataBytes ?? 4096, 0),
    retry: {
      retries: positiveInt('retry.retries', options.retry?.retries ?? 5, 0),
      initialRetryTimeMs: positiveInt('retry.initialRetryTimeMs', options.retry?.initialRetryTimeMs ?? 300),
      maxRetryTimeMs: positiveInt('retry.maxRetryTimeMs', options.retry?.maxRetryTimeMs ?? 30_000),
    },
    socketFactory: options.socketFactory,
    clock: options.clock ?? systemClock,
    logs: new ComponentLogger('kafkaTransport', 'kafka', options.logger, { secrets: [sasl?.password] }),
  };
}
