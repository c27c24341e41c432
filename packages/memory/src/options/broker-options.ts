import type { Clock, Logger } from '@partita/core';
import { ComponentLogger, ConfigError, optionError, systemClock } from '@partita/core';

/**
 * How long a topic's partitions keep records, whether or not a group read
 * them (records every group has committed past are freed at once anyway).
 * Each limit applies per partition; the oldest records go first. `bytes` and
 * `ms` apply to records held in memory (durable mode's segments have their own
 * `retentionBytes` and `retentionMs`); `messages` applies in both modes.
 */
export interface RetentionOptions {
  /** Records kept per partition. */
  readonly messages?: number;
  /** Accounted bytes kept per partition (payload plus per-record overhead, as in `stats().bytes`). */
  readonly bytes?: number;
  /** Age in ms (by the record's timestamp) after which a record is dropped. */
  readonly ms?: number;
}

/** Retention of work topics by default: unread records stay for 7 days (Kafka's default); memory is bounded by `maxBytes`. */
export const DEFAULT_RETENTION: Required<RetentionOptions> = Object.freeze({
  messages: Infinity,
  bytes: Infinity,
  ms: 7 * 24 * 3600_000,
});
/** Retention of dead-letter topics by default: 14 days, at most 100,000 records and 32 MiB per partition. */
export const DEFAULT_DEAD_LETTER_RETENTION: Required<RetentionOptions> = Object.freeze({
  messages: 100_000,
  bytes: 32 * 2 ** 20,
  ms: 14 * 24 * 3600_000,
});

/** Per-topic settings, given to `createTopic` or applied to auto-created topics. */
export interface TopicOptions {
  /** @defaultValue the broker's `defaultPartitions` */
  readonly partitions?: number;
  /** Retained bytes of this topic above which publish rejects with `BackpressureError`. @defaultValue Infinity */
  readonly maxBytes?: number;
  /** Retained records of this topic above which publish rejects. @defaultValue Infinity */
  readonly maxMessages?: number;
  /** What happens to a record whose TTL passed before delivery: `drop` (counted) or `dead-letter`. @defaultValue 'drop' */
  readonly onExpire?: 'drop' | 'dead-letter';
  /** Largest record (key + value + header names and values, in bytes) a publish may carry; a bigger one rejects the publish with `MessageTooLargeError`. @defaultValue the broker's `maxMessageBytes` */
  readonly maxMessageBytes?: number;
  /** Retention; unset fields come from the broker's `retention` (or `deadLetterRetention` for a dead-letter topic). */
  readonly retention?: RetentionOptions;
}

/** Options of `createMemoryBroker`. */
export interface MemoryBrokerOptions {
  /** Partitions of topics created automatically or without an explicit count. @defaultValue 1 */
  readonly defaultPartitions?: number;
  /** Create unknown topics on first publish/subscribe; when false they raise `TopicNotFoundError`. @defaultValue true */
  readonly autoCreateTopics?: boolean;
  /** Time source for delays, TTL, visibility timeouts and fsync intervals. @defaultValue systemClock */
  readonly clock?: Clock;
  /** Global retained bytes (key + value + headers) above which publish rejects. @defaultValue 512 MiB */
  readonly maxBytes?: number;
  /** Global retained record count above which publish rejects. @defaultValue Infinity */
  readonly maxMessages?: number;
  /** Largest record (key + value + header names and values, in bytes) a publish may carry, like Kafka's `message.max.bytes`. @defaultValue 1 MiB */
  readonly maxMessageBytes?: number;
  /** Retention of work topics (per partition). @defaultValue `{ messages: Infinity, bytes: Infinity, ms: 7 days }` */
  readonly retention?: RetentionOptions;
  /** Retention of dead-letter topics (names ending with `deadLetterSuffix`), set apart: they keep records longer. @defaultValue `{ messages: 100_000, bytes: 32 MiB, ms: 14 days }` */
  readonly deadLetterRetention?: RetentionOptions;
  /** Health turns `degraded` when a limit is used above this fraction. @defaultValue 0.8 */
  readonly degradedAt?: number;
  /** Topic names ending with this are dead-letter topics: their records are indexed by the dead-letter admin API. @defaultValue '.dlq' */
  readonly deadLetterSuffix?: string;
  /** Durable mode: directory of segment files, indexes and group offsets. @defaultValue undefined (in memory only) */
  readonly dataDir?: string;
  /** Durable mode: `always` fsyncs before a publish resolves (group commit per tick), `interval` every `fsyncIntervalMs`, `never` leaves it to the OS. @defaultValue 'interval' */
  readonly fsync?: 'always' | 'interval' | 'never';
  /** Durable mode, fsync `interval`: ms between fsyncs. @defaultValue 100 */
  readonly fsyncIntervalMs?: number;
  /** Durable mode: roll to a new segment file past this many bytes. @defaultValue 64 MiB */
  readonly segmentBytes?: number;
  /** Durable mode: in-memory bytes of staged (priority/delay) records kept per partition after they entered the log; plain publishes are written through and read back from the segment files. @defaultValue 4 MiB */
  readonly cacheBytes?: number;
  /** Durable mode: delete whole old segments while a partition holds more than this. @defaultValue Infinity */
  readonly retentionBytes?: number;
  /** Durable mode: delete whole segments whose newest record is older than this. @defaultValue Infinity */
  readonly retentionMs?: number;
  /**
   * Durable mode: when recovery checks each record's CRC-32. `unclean` checks
   * every segment after a crash but only the active segment after a clean
   * close (as Kafka does); `always` checks everything on every open.
   * @defaultValue 'unclean'
   */
  readonly verifyChecksums?: 'unclean' | 'always';
  /**
   * Receives the broker's warnings (durable recovery: torn tails truncated;
   * a record that could not be dead-lettered) with `component: 'memory'`.
   * The broker exists before any app, so an app's logger does not reach it:
   * pass the app's logger here too. @defaultValue `defaultLogger()`
   */
  readonly logger?: Logger;
  /** Receives the broker's warnings instead of `logger` (tests). @defaultValue `logger.warn` */
  readonly onWarning?: (message: string) => void;
}

export interface ResolvedTopicOptions {
  readonly partitions: number;
  readonly maxBytes: number;
  readonly maxMessages: number;
  readonly onExpire: 'drop' | 'dead-letter';
  readonly maxMessageBytes: number;
  readonly retention: Required<RetentionOptions>;
}

export interface ResolvedBrokerOptions {
  readonly defaultPartitions: number;
  readonly autoCreateTopics: boolean;
  readonly clock: Clock;
  readonly maxBytes: number;
  readonly maxMessages: number;
  readonly maxMessageBytes: number;
  readonly retention: Required<RetentionOptions>;
  readonly deadLetterRetention: Required<RetentionOptions>;
  readonly degradedAt: number;
  readonly deadLetterSuffix: string;
  readonly dataDir: string | undefined;
  readonly fsync: 'always' | 'interval' | 'never';
  readonly fsyncIntervalMs: number;
  readonly segmentBytes: number;
  readonly retentionBytes: number;
  readonly retentionMs: number;
  readonly cacheBytes: number;
  readonly onWarning: (message: string) => void;
  readonly verifyChecksums: 'unclean' | 'always';
}

const warnTo =
  (log: Logger) =>
  (message: string): void =>
    log.warn(message);

function positiveInt(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw optionError('@partita/memory', name, 'a positive integer', v);
  return v;
}

function positiveLimit(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || Number.isNaN(v) || v <= 0)
    throw optionError('@partita/memory', name, 'a positive number or Infinity', v);
  return v;
}

function oneOf<T extends string>(name: string, v: unknown, values: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!values.includes(v as T))
    throw optionError('@partita/memory', name, `one of ${values.map((x) => `'${x}'`).join(' | ')}`, v);
  return v as T;
}

function isClock(v: unknown): v is Clock {
  const c = v as Clock;
  return (
    !!c && typeof c.now === 'function' && typeof c.setTimeout === 'function' && typeof c.clearTimeout === 'function'
  );
}

/** Validate broker options; throws `ConfigError` naming the option. */
export function resolveBrokerOptions(o: MemoryBrokerOptions = {}): ResolvedBrokerOptions {
  if (o === null || typeof o !== 'object')
    throw new ConfigError('createMemoryBroker(options): options must be an object');
  if (o.autoCreateTopics !== undefined && typeof o.autoCreateTopics !== 'boolean')
    throw new ConfigError(`option "autoCreateTopics" must be a boolean, got ${String(o.autoCreateTopics)}`);
  if (o.clock !== undefined && !isClock(o.clock))
    throw new ConfigError('option "clock" must be a Clock ({ now, setTimeout, clearTimeout })');
  if (o.dataDir !== undefined && (typeof o.dataDir !== 'string' || o.dataDir === ''))
    throw new ConfigError('option "dataDir" must be a non-empty directory path');
  if (o.deadLetterSuffix !== undefined && (typeof o.deadLetterSuffix !== 'string' || o.deadLetterSuffix === ''))
    throw new ConfigError('option "deadLetterSuffix" must be a non-empty string');
  if (o.onWarning !== undefined && typeof o.onWarning !== 'function')
    throw new ConfigError('option "onWarning" must be a function (message: string) => void');
  const degradedAt = o.degradedAt ?? 0.8;
  if (typeof degradedAt !== 'number' || !(degradedAt > 0 && degradedAt <= 1))
    throw new ConfigError(`option "degradedAt" must be a number in (0, 1], got ${String(degradedAt)}`);
  return {
    defaultPartitions: positiveInt('defaultPartitions', o.defaultPartitions, 1),
    autoCreateTopics: o.autoCreateTopics ?? true,
    clock: o.clock ?? systemClock,
    maxBytes: positiveLimit('maxBytes', o.maxBytes, 512 * 2 ** 20),
    maxMessages: positiveLimit('maxMessages', o.maxMessages, Infinity),
    maxMessageBytes: positiveLimit('maxMessageBytes', o.maxMessageBytes, 2 ** 20),
    retention: resolveRetention('retention', o.retention, DEFAULT_RETENTION),
    deadLetterRetention: resolveRetention('deadLetterRetention', o.deadLetterRetention, DEFAULT_DEAD_LETTER_RETENTION),
    degradedAt,
    deadLetterSuffix: o.deadLetterSuffix ?? '.dlq',
    dataDir: o.dataDir,
    fsync: oneOf('fsync', o.fsync, ['always', 'interval', 'never'] as const, 'interval'),
    fsyncIntervalMs: positiveInt('fsyncIntervalMs', o.fsyncIntervalMs, 100),
    segmentBytes: positiveInt('segmentBytes', o.segmentBytes, 64 * 2 ** 20),
    retentionBytes: positiveLimit('retentionBytes', o.retentionBytes, Infinity),
    retentionMs: positiveLimit('retentionMs', o.retentionMs, Infinity),
    cacheBytes: positiveInt('cacheBytes', o.cacheBytes, 4 * 2 ** 20),
    onWarning: o.onWarning ?? warnTo(new ComponentLogger('createMemoryBroker', 'memory', o.logger).logger),
    verifyChecksums: oneOf('verifyChecksums', o.verifyChecksums, ['unclean', 'always'] as const, 'unclean'),
  };
}

function resolveRetention(
  name: string,
  r: RetentionOptions | undefined,
  dflt: Required<RetentionOptions>,
): Required<RetentionOptions> {
  if (r === undefined) return dflt;
  if (r === null || typeof r !== 'object')
    throw optionError('@partita/memory', name, 'an object { messages?, bytes?, ms? }', r);
  return {
    messages: positiveLimit(`${name}.messages`, r.messages, dflt.messages),
    bytes: positiveLimit(`${name}.bytes`, r.bytes, dflt.bytes),
    ms: positiveLimit(`${name}.ms`, r.ms, dflt.ms),
  };
}

/** Whether a topic name is a dead-letter topic's. */
export function isDeadLetterTopic(name: string, broker: ResolvedBrokerOptions): boolean {
  return name.endsWith(broker.deadLetterSuffix);
}

/** Validate topic options against broker defaults (a dead-letter topic takes `deadLetterRetention`). */
export function resolveTopicOptions(
  name: string,
  o: TopicOptions | undefined,
  broker: ResolvedBrokerOptions,
): ResolvedTopicOptions {
  const t = o ?? {};
  if (t === null || typeof t !== 'object') throw new ConfigError('topic options must be an object');
  return {
    partitions: positiveInt('partitions', t.partitions, broker.defaultPartitions),
    maxBytes: positiveLimit('maxBytes', t.maxBytes, Infinity),
    maxMessages: positiveLimit('maxMessages', t.maxMessages, Infinity),
    onExpire: oneOf('onExpire', t.onExpire, ['drop', 'dead-letter'] as const, 'drop'),
    maxMessageBytes: positiveLimit('maxMessageBytes', t.maxMessageBytes, broker.maxMessageBytes),
    retention: resolveRetention(
      'retention',
      t.retention,
      isDeadLetterTopic(name, broker) ? broker.deadLetterRetention : broker.retention,
    ),
  };
}

/**
 * Topic options read back from a durable state: fields missing there (written
 * by an older version) take the defaults; JSON has no Infinity, so a stored
 * `null` limit means "no limit".
 */
export function reviveTopicOptions(
  name: string,
  stored: Partial<ResolvedTopicOptions>,
  broker: ResolvedBrokerOptions,
): ResolvedTopicOptions {
  const dflt = resolveTopicOptions(name, { partitions: stored.partitions ?? broker.defaultPartitions }, broker);
  const lim = (v: number | null | undefined, d: number): number => (v === null ? Infinity : (v ?? d));
  const r = (stored.retention ?? {}) as Partial<Record<keyof RetentionOptions, number | null>>;
  return {
    ...dflt,
    ...(stored.onExpire !== undefined ? { onExpire: stored.onExpire } : {}),
    maxBytes: lim(stored.maxBytes, dflt.maxBytes),
    maxMessages: lim(stored.maxMessages, dflt.maxMessages),
    maxMessageBytes: lim(stored.maxMessageBytes, dflt.maxMessageBytes),
    retention: {
      messages: lim(r.messages, dflt.retention.messages),
      bytes: lim(r.bytes, dflt.retention.bytes),
      ms: lim(r.ms, dflt.retention.ms),
    },
  };
}
