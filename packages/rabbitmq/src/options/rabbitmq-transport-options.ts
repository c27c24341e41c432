import { ConfigError, optionError, type Clock, type Logger } from '@partita/core';

const OWNER = 'rabbitmqTransport';

/** TLS files for `amqps://` connections (PEM paths, read at connect). */
export interface RabbitMqTlsOptions {
  /** CA bundle used to verify the server. */
  readonly caFile?: string;
  /** Client certificate (mutual TLS). */
  readonly certFile?: string;
  /** Client private key (mutual TLS). */
  readonly keyFile?: string;
  /** Verify the server certificate. @defaultValue true */
  readonly rejectUnauthorized?: boolean;
}

/**
 * Names of an existing topology (see `declare: false`). Each function must be
 * injective; the defaults are `<prefix><topic>` for the exchange and
 * `<prefix><topic>.<group>.<partition>` for the partition queues.
 */
export interface RabbitMqNames {
  readonly exchange?: (topic: string) => string;
  readonly queue?: (topic: string, group: string, partition: number) => string;
}

/** Options of {@link rabbitmqTransport}. Every field is optional. */
export interface RabbitMqTransportOptions {
  /**
   * Broker URL(s): `amqp://user:pass@host:5672/vhost`, `amqps://` for TLS.
   * Several URLs are tried in turn on reconnect. The vhost is the URL path
   * (`/` is `%2F`). @defaultValue 'amqp://guest:guest@127.0.0.1:5672'
   */
  readonly url?: string | readonly string[];
  /** TLS files for `amqps://` URLs. */
  readonly tls?: RabbitMqTlsOptions;
  /** Connection name shown by the broker. @defaultValue 'partita' */
  readonly name?: string;
  /** Partition queues per (topic, group); the publisher hashes the key to one. @defaultValue 1 */
  readonly partitions?: number;
  /** Partition count per topic, overriding `partitions` (publishers and consumers must agree). */
  readonly topicPartitions?: Readonly<Record<string, number>>;
  /** Queue type of partition and dead-letter queues. @defaultValue 'quorum' */
  readonly queueType?: 'quorum' | 'classic';
  /** Prefix of every exchange and queue the connector names. @defaultValue '' */
  readonly prefix?: string;
  /** Suffix of the dead-letter topic whose queue the connector declares per topic. @defaultValue '.dlq' */
  readonly dlqSuffix?: string;
  /**
   * Quorum `x-delivery-limit` of partition queues: the broker's safety net,
   * set above the runtime's `maxAttempts` (the runtime dead-letters first).
   * By default `maxAttempts + 20` (stops, revocations and crashes also count
   * as deliveries).
   */
  readonly deliveryLimit?: number;
  /** `x-max-length` of partition queues; publishes beyond it are refused (`reject-publish`). @defaultValue unlimited */
  readonly maxLength?: number;
  /**
   * Declare exchanges and queues (`true`), or only check that they exist
   * (`false`: bind to an existing topology following {@link RabbitMqNames};
   * partition queues must have `x-single-active-consumer`).
   * @defaultValue true
   */
  readonly declare?: boolean;
  /** Exchange and queue names of an existing topology. */
  readonly names?: RabbitMqNames;
  /** AMQP heartbeat in seconds (a dead peer is noticed after two). @defaultValue 5 */
  readonly heartbeatSeconds?: number;
  /** Wait between reconnect attempts. @defaultValue 1000 */
  readonly reconnectTimeMs?: number;
  /** Timeout of a connection attempt. @defaultValue 5000 */
  readonly connectTimeoutMs?: number;
  /** A publish not confirmed within this rejects (`TimeoutError`). @defaultValue 10000 */
  readonly publishTimeoutMs?: number;
  /** How often a member checks the group's balance of active partitions. @defaultValue 1000 */
  readonly rebalanceIntervalMs?: number;
  /** How often a member probes partitions it waits on, to learn it became their active consumer. @defaultValue 5000 */
  readonly probeIntervalMs?: number;
  /**
   * `settle` resolves only after a round trip on the consumer's channel, so
   * the broker has read the acks (AMQP does not confirm acks); one round trip
   * per batch. @defaultValue true
   */
  readonly confirmAcks?: boolean;
  /** @defaultValue systemClock */
  readonly clock?: Clock;
  /**
   * Receives connection and channel events (connect, disconnect, blocked,
   * channel errors) with `component: 'rabbitmq'`; secrets redacted.
   * @defaultValue the logger of the app it runs for (`attach`), else `defaultLogger()`
   */
  readonly logger?: Logger;
}

/** Options with defaults applied. */
export interface ResolvedRabbitMqOptions {
  readonly urls: readonly string[];
  readonly tls: RabbitMqTlsOptions | undefined;
  readonly name: string;
  readonly partitions: number;
  readonly topicPartitions: Readonly<Record<string, number>>;
  readonly queueType: 'quorum' | 'classic';
  readonly prefix: string;
  readonly dlqSuffix: string;
  readonly deliveryLimit: number | undefined;
  readonly maxLength: number | undefined;
  readonly declare: boolean;
  readonly exchangeName: (topic: string) => string;
  readonly queueName: (topic: string, group: string, partition: number) => string;
  readonly heartbeatSeconds: number;
  readonly reconnectTimeMs: number;
  readonly connectTimeoutMs: number;
  readonly publishTimeoutMs: number;
  readonly rebalanceIntervalMs: number;
  readonly probeIntervalMs: number;
  readonly confirmAcks: boolean;
}

/** The secrets in RabbitMQ options, for `redact`: user info of every URL, and its password alone. */
export function rabbitSecrets(o: { readonly url?: unknown; readonly urls?: readonly unknown[] }): string[] {
  const list = o.urls ?? (Array.isArray(o.url) ? o.url : [o.url]);
  const out: string[] = [];
  for (const u of list) {
    if (typeof u !== 'string') continue;
    const rest = u.includes('://') ? u.slice(u.indexOf('://') + 3) : u;
    const slash = rest.indexOf('/');
    const authority = slash >= 0 ? rest.slice(0, slash) : rest;
    const at = authority.lastIndexOf('@');
    if (at <= 0) continue;
    const info = authority.slice(0, at);
    out.push(info);
    const colon = info.indexOf(':');
    if (colon >= 0 && colon < info.length - 1) out.push(info.slice(colon + 1));
    try {
      const pass = decodeURIComponent(info.slice(colon + 1));
      if (colon >= 0 && pass !== '') out.push(pass);
    } catch {
      /* not percent-encoded */
    }
  }
  return out;
}

const URL_FORM = /^amqps?:\/\/[^\s]+$/;

function int(option: string, v: unknown, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw optionError(OWNER, option, `an integer from ${min} to ${max}`, v);
  return v;
}

/** RabbitMQ names: up to 255 bytes; the connector adds suffixes, so topics and groups stay well below. */
function nameFn<A extends unknown[]>(option: string, v: unknown, def: (...a: A) => string): (...a: A) => string {
  if (v === undefined) return def;
  if (typeof v !== 'function') throw optionError(OWNER, option, 'a function returning a name', v);
  return v as (...a: A) => string;
}

/** Validate options at the boundary and fill in defaults. A bad value is a `ConfigError` naming the option. */
export function resolveRabbitMqOptions(o: RabbitMqTransportOptions = {}): ResolvedRabbitMqOptions {
  if (o === null || typeof o !== 'object') throw new ConfigError(`${OWNER}: options must be an object`);
  const raw = o.url ?? 'amqp://guest:guest@127.0.0.1:5672';
  const urls: readonly unknown[] = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(urls) || urls.length === 0 || urls.some((u) => typeof u !== 'string' || !URL_FORM.test(u)))
    throw optionError(OWNER, 'url', 'an amqp:// or amqps:// URL, or a non-empty array of them', raw);
  const prefix = o.prefix ?? '';
  if (typeof prefix !== 'string' || /\s/.test(prefix))
    throw optionError(OWNER, 'prefix', 'a string without whitespace', prefix);
  const dlqSuffix = o.dlqSuffix ?? '.dlq';
  if (typeof dlqSuffix !== 'string' || !/^[A-Za-z0-9._-]+$/.test(dlqSuffix))
    throw optionError(OWNER, 'dlqSuffix', 'letters, digits, ".", "_" or "-" (e.g. ".dlq")', dlqSuffix);
  const queueType = o.queueType ?? 'quorum';
  if (queueType !== 'quorum' && queueType !== 'classic')
    throw optionError(OWNER, 'queueType', "'quorum' or 'classic'", queueType);
  const topicPartitions = o.topicPartitions ?? {};
  if (topicPartitions === null || typeof topicPartitions !== 'object' || Array.isArray(topicPartitions))
    throw optionError(OWNER, 'topicPartitions', 'an object of topic → partition count', topicPartitions);
  for (const [t, n] of Object.entries(topicPartitions)) int(`topicPartitions.${t}`, n, 1, 1, 1024);
  if (o.tls !== undefined && (o.tls === null || typeof o.tls !== 'object'))
    throw optionError(OWNER, 'tls', '{ caFile?, certFile?, keyFile?, rejectUnauthorized? }', o.tls);
  for (const flag of ['declare', 'confirmAcks'] as const)
    if (o[flag] !== undefined && typeof o[flag] !== 'boolean') throw optionError(OWNER, flag, 'a boolean', o[flag]);
  const names = o.names ?? {};
  return {
    urls: urls.map((u) => (u as string).trim()),
    tls: o.tls,
    name: typeof o.name === 'string' && o.name !== '' ? o.name : 'partita',
    partitions: int('partitions', o.partitions, 1, 1, 1024),
    topicPartitions,
    queueType,
    prefix,
    dlqSuffix,
    deliveryLimit: o.deliveryLimit === undefined ? undefined : int('deliveryLimit', o.deliveryLimit, 0, 1),
    maxLength: o.maxLength === undefined ? undefined : int('maxLength', o.maxLength, 0, 1),
    declare: o.declare ?? true,
    exchangeName: nameFn('names.exchange', names.exchange, (topic: string) => `${prefix}${topic}`),
    queueName: nameFn(
      'names.queue',
      names.queue,
      (topic: string, group: string, partition: number) => `${prefix}${topic}.${group}.${partition}`,
    ),
    heartbeatSeconds: int('heartbeatSeconds', o.heartbeatSeconds, 5, 0, 3600),
    reconnectTimeMs: int('reconnectTimeMs', o.reconnectTimeMs, 1000, 10),
    connectTimeoutMs: int('connectTimeoutMs', o.connectTimeoutMs, 5000, 1),
    publishTimeoutMs: int('publishTimeoutMs', o.publishTimeoutMs, 10_000, 1),
    rebalanceIntervalMs: int('rebalanceIntervalMs', o.rebalanceIntervalMs, 1000, 10),
    probeIntervalMs: int('probeIntervalMs', o.probeIntervalMs, 5000, 10),
    confirmAcks: o.confirmAcks ?? true,
  };
}

/** Partitions of `topic` under these options. */
export function partitionsOf(o: ResolvedRabbitMqOptions, topic: string): number {
  return Object.hasOwn(o.topicPartitions, topic) ? o.topicPartitions[topic]! : o.partitions;
}
