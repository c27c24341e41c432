import { ConfigError, optionError, type Clock, type Logger } from '@partita/core';

/**
 * The secret values hidden in NATS options, for `redact`: the token, the
 * password, and the user info of every server URL (with or without a scheme,
 * up to the last `@`, so an unencoded `@` in a password is covered).
 */
export function natsSecrets(o: {
  readonly servers?: readonly unknown[];
  readonly token?: unknown;
  readonly pass?: unknown;
}): string[] {
  const out: string[] = [];
  for (const v of [o.token, o.pass]) if (typeof v === 'string') out.push(v);
  for (const s of Array.isArray(o.servers) ? o.servers : []) {
    if (typeof s !== 'string') continue;
    const rest = s.includes('://') ? s.slice(s.indexOf('://') + 3) : s;
    const at = rest.lastIndexOf('@');
    if (at <= 0) continue;
    const info = rest.slice(0, at);
    out.push(info);
    const colon = info.indexOf(':');
    if (colon >= 0) out.push(info.slice(0, colon), info.slice(colon + 1));
  }
  return out;
}

/** TLS settings passed to the NATS client (paths to PEM files). */
export interface NatsTlsOptions {
  /** CA bundle file used to verify the server. */
  readonly caFile?: string;
  /** Client certificate file (mutual TLS). */
  readonly certFile?: string;
  /** Client private key file (mutual TLS). */
  readonly keyFile?: string;
  /** Start TLS before the NATS INFO exchange (servers with `handshake_first`). @defaultValue false */
  readonly handshakeFirst?: boolean;
}

/** Options of {@link natsTransport}. Every field is optional. */
export interface NatsTransportOptions {
  /** Server URLs, e.g. `nats://127.0.0.1:4222`. @defaultValue ['nats://127.0.0.1:4222'] */
  readonly servers?: readonly string[];
  /**
   * `jetstream`: durable, at-least-once (streams, durable pull consumers, explicit ack).
   * `core`: plain subjects and queue groups, fire-and-forget, at-most-once.
   * @defaultValue 'jetstream'
   */
  readonly mode?: 'jetstream' | 'core';
  /** Client connection name shown by the server. @defaultValue 'partita' */
  readonly name?: string;
  /** Token authentication. Exclusive with `user`/`pass` and `credsFile`. */
  readonly token?: string;
  /** Username (with `pass`). */
  readonly user?: string;
  readonly pass?: string;
  /** Path of a `.creds` file (JWT + NKey seed), read at connect. */
  readonly credsFile?: string;
  /** TLS; `true` requires TLS with the system CAs. @defaultValue undefined (plain TCP unless the URL says tls://) */
  readonly tls?: boolean | NatsTlsOptions;
  /** Reconnect attempts after a disconnect; -1 = forever. @defaultValue -1 */
  readonly maxReconnectAttempts?: number;
  /** Wait between reconnect attempts per server. @defaultValue 1000 */
  readonly reconnectTimeWaitMs?: number;
  /** Connect timeout. @defaultValue 5000 */
  readonly connectTimeoutMs?: number;
  /**
   * Bytes of publishes allowed to wait for a server acknowledgement while the
   * connection is down; beyond it `publish` rejects with `BackpressureError`.
   * @defaultValue 8 MiB
   */
  readonly maxBufferedPublishBytes?: number;
  /** JetStream publish acknowledgement timeout per record. @defaultValue 10000 */
  readonly publishTimeoutMs?: number;
  /** Publishes in flight (awaiting their PubAck) at once per `publish` call. @defaultValue 256 */
  readonly publishConcurrency?: number;
  /**
   * Bind every topic to this existing stream (its subjects must cover the
   * topics) instead of a stream per topic.
   * @defaultValue undefined (a stream per topic)
   */
  readonly stream?: string;
  /** Prefix of the streams created per topic. @defaultValue '' */
  readonly streamPrefix?: string;
  /** Create missing streams (else `TopicNotFoundError`). @defaultValue true */
  readonly autoCreateStreams?: boolean;
  /** Storage of created streams. @defaultValue 'file' */
  readonly storage?: 'file' | 'memory';
  /** Replicas of created streams. @defaultValue 1 */
  readonly replicas?: number;
  /** Retention of created streams; `workqueue` allows one consumer group per topic. @defaultValue 'limits' */
  readonly retention?: 'limits' | 'workqueue' | 'interest';
  /** Suffix of the dead-letter subject captured by a topic's stream. @defaultValue '.dlq' */
  readonly dlqSuffix?: string;
  /**
   * Consumer `ack_wait`; by default `timeoutMs + max(1 s, timeoutMs / 4)` of the
   * handler (the connector also sends `working()` for records held past half of it).
   */
  readonly ackWaitMs?: number;
  /** Consumer `max_deliver` backstop; by default `maxAttempts + 5`. -1 = unlimited. */
  readonly maxDeliver?: number;
  /** Consumer `max_ack_pending` (shared by all instances of a group). @defaultValue 10000 */
  readonly maxAckPending?: number;
  /** Long-poll duration of one pull request. @defaultValue 5000 (minimum 1000) */
  readonly pullExpiresMs?: number;
  /** `settle('ack')` waits for a round trip (flush) so the server has the acks. @defaultValue true */
  readonly confirmAcks?: boolean;
  /** Core mode: records kept while a lane is paused; more are dropped (at-most-once). @defaultValue 10000 */
  readonly coreBufferLimit?: number;
  /** @defaultValue systemClock */
  readonly clock?: Clock;
  /**
   * Receives the connection's status events (disconnect, reconnect, slow
   * consumer, server errors) with `component: 'nats'`; secrets redacted.
   * @defaultValue the logger of the app it runs for (`attach`), else `defaultLogger()`
   */
  readonly logger?: Logger;
}

/** Options with defaults applied. */
export interface ResolvedNatsOptions {
  readonly servers: readonly string[];
  readonly mode: 'jetstream' | 'core';
  readonly name: string;
  readonly token: string | undefined;
  readonly user: string | undefined;
  readonly pass: string | undefined;
  readonly credsFile: string | undefined;
  readonly tls: NatsTlsOptions | undefined;
  readonly maxReconnectAttempts: number;
  readonly reconnectTimeWaitMs: number;
  readonly connectTimeoutMs: number;
  readonly maxBufferedPublishBytes: number;
  readonly publishTimeoutMs: number;
  readonly publishConcurrency: number;
  readonly stream: string | undefined;
  readonly streamPrefix: string;
  readonly autoCreateStreams: boolean;
  readonly storage: 'file' | 'memory';
  readonly replicas: number;
  readonly retention: 'limits' | 'workqueue' | 'interest';
  readonly dlqSuffix: string;
  readonly ackWaitMs: number | undefined;
  readonly maxDeliver: number | undefined;
  readonly maxAckPending: number;
  readonly pullExpiresMs: number;
  readonly confirmAcks: boolean;
  readonly coreBufferLimit: number;
}

function int(name: string, v: number | undefined, def: number, min: number, allowMinusOne = false): number {
  if (v === undefined) return def;
  if (!Number.isInteger(v) || (v < min && !(allowMinusOne && v === -1))) {
    throw optionError('natsTransport', name, `an integer >= ${min}${allowMinusOne ? ' or -1' : ''}`, v);
  }
  return v;
}

function oneOf<T extends string>(name: string, v: T | undefined, allowed: readonly T[], def: T): T {
  if (v === undefined) return def;
  if (!allowed.includes(v))
    throw optionError('natsTransport', name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, v);
  return v;
}

function optString(name: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0) throw optionError('natsTransport', name, 'a non-empty string', v);
  return v;
}

/** Validate options at the boundary and fill defaults. Never echoes secret values. */
export function resolveNatsOptions(o: NatsTransportOptions = {}): ResolvedNatsOptions {
  if (o === null || typeof o !== 'object') throw new ConfigError('natsTransport: options must be an object');
  const servers = o.servers ?? ['nats://127.0.0.1:4222'];
  if (
    !Array.isArray(servers) ||
    servers.length === 0 ||
    servers.some((s) => typeof s !== 'string' || s.trim() === '')
  ) {
    throw new ConfigError('natsTransport: option "servers" must be a non-empty array of URLs like "nats://host:4222"');
  }
  const token = optString('token', o.token);
  const user = optString('user', o.user);
  const pass = o.pass;
  const credsFile = optString('credsFile', o.credsFile);
  if ([token !== undefined, user !== undefined, credsFile !== undefined].filter(Boolean).length > 1) {
    throw new ConfigError(
      'natsTransport: options "token", "user"/"pass" and "credsFile" are mutually exclusive; choose one authentication method',
    );
  }
  if (pass !== undefined && user === undefined) throw new ConfigError('natsTransport: option "pass" needs "user"');
  const stream = optString('stream', o.stream);
  if (stream !== undefined && /[.*> \t/\\]/.test(stream))
    throw new ConfigError(
      'natsTransport: option "stream" must be a stream name without ".", "*", ">", "/", "\\" or whitespace',
    );
  const streamPrefix = o.streamPrefix ?? '';
  if (typeof streamPrefix !== 'string' || /[.*> \t/\\]/.test(streamPrefix))
    throw new ConfigError(
      'natsTransport: option "streamPrefix" must be a string without ".", "*", ">", "/", "\\" or whitespace',
    );
  const dlqSuffix = o.dlqSuffix ?? '.dlq';
  if (typeof dlqSuffix !== 'string' || dlqSuffix.length === 0)
    throw new ConfigError('natsTransport: option "dlqSuffix" must be a non-empty string such as ".dlq"');
  let tls: NatsTlsOptions | undefined;
  if (o.tls === true) tls = {};
  else if (o.tls && typeof o.tls === 'object') tls = o.tls;
  else if (o.tls !== undefined && o.tls !== false)
    throw new ConfigError(
      'natsTransport: option "tls" must be a boolean or { caFile?, certFile?, keyFile?, handshakeFirst? }',
    );
  const ackWaitMs = o.ackWaitMs === undefined ? undefined : int('ackWaitMs', o.ackWaitMs, 0, 100);
  const maxDeliver = o.maxDeliver === undefined ? undefined : int('maxDeliver', o.maxDeliver, 0, 1, true);
  return {
    servers: (servers as readonly string[]).map((s) => s.trim()),
    mode: oneOf('mode', o.mode, ['jetstream', 'core'], 'jetstream'),
    name: o.name ?? 'partita',
    token,
    user,
    pass,
    credsFile,
    tls,
    maxReconnectAttempts: int('maxReconnectAttempts', o.maxReconnectAttempts, -1, 0, true),
    reconnectTimeWaitMs: int('reconnectTimeWaitMs', o.reconnectTimeWaitMs, 1000, 0),
    connectTimeoutMs: int('connectTimeoutMs', o.connectTimeoutMs, 5000, 1),
    maxBufferedPublishBytes: int('maxBufferedPublishBytes', o.maxBufferedPublishBytes, 8 * 1024 * 1024, 0),
    publishTimeoutMs: int('publishTimeoutMs', o.publishTimeoutMs, 10_000, 1),
    publishConcurrency: int('publishConcurrency', o.publishConcurrency, 256, 1),
    stream,
    streamPrefix,
    autoCreateStreams: o.autoCreateStreams ?? true,
    storage: oneOf('storage', o.storage, ['file', 'memory'], 'file'),
    replicas: int('replicas', o.replicas, 1, 1),
    retention: oneOf('retention', o.retention, ['limits', 'workqueue', 'interest'], 'limits'),
    dlqSuffix,
    ackWaitMs,
    maxDeliver,
    maxAckPending: int('maxAckPending', o.maxAckPending, 10_000, 1, true),
    pullExpiresMs: int('pullExpiresMs', o.pullExpiresMs, 5000, 1000),
    confirmAcks: o.confirmAcks ?? true,
    coreBufferLimit: int('coreBufferLimit', o.coreBufferLimit, 10_000, 0),
  };
}
