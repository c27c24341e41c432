import type { SQSClient } from '@aws-sdk/client-sqs';
import { optionError, type Clock, type Logger } from '@partita/core';

/** Static credentials (otherwise the SDK's standard chain: environment, profile, container, instance). */
export interface SqsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Options of `sqsTransport`. */
export interface SqsTransportOptions {
  /** AWS region. @defaultValue the SDK's chain (`AWS_REGION`, profile); `us-east-1` when `endpoint` is set and none is found */
  readonly region?: string;
  /** Endpoint URL of an SQS-compatible server (ElasticMQ, LocalStack). @defaultValue AWS */
  readonly endpoint?: string;
  /** Static credentials. @defaultValue the SDK's standard chain */
  readonly credentials?: SqsCredentials;
  /** Prepended to every queue name (`[A-Za-z0-9_-]`, at most 20 characters). @defaultValue '' */
  readonly queuePrefix?: string;
  /** Suffix of dead-letter topics, whose archive queue is each group queue's redrive target. @defaultValue '.dlq' */
  readonly dlqSuffix?: string;
  /** Long-poll wait of each receive, 0–20 s. @defaultValue 20 */
  readonly waitTimeSeconds?: number;
  /** Receives in flight per lane (each takes up to 10 messages). @defaultValue ceil(maxInFlight / 10), at most 10 */
  readonly maxReceives?: number;
  /** Visibility timeout of received messages, 1–43,200 s. @defaultValue ceil(timeoutMs / 1000), at least 10, 30 for an infinite timeout */
  readonly visibilityTimeoutSeconds?: number;
  /** How long the list of a topic's group queues is reused by `publish`, in ms. @defaultValue 2_000 */
  readonly queueCacheMs?: number;
  /** `maxReceiveCount` of the redrive policy is `maxAttempts` plus this (at most 1,000). @defaultValue 10 */
  readonly redriveMargin?: number;
  /** SendMessageBatch requests in flight per `publish`. @defaultValue 16 */
  readonly publishConcurrency?: number;
  /** A client of your own (then region, endpoint and credentials are its). */
  readonly client?: SQSClient;
  /** Injected clock (tests). */
  readonly clock?: Clock;
  /**
   * Receives the lanes' failed receives, visibility changes and retries with
   * `component: 'sqs'`; secrets redacted.
   * @defaultValue the logger of the app it runs for (`attach`), else `defaultLogger()`
   */
  readonly logger?: Logger;
}

/** Options after validation, with defaults. */
export interface ResolvedSqsOptions {
  readonly region: string | undefined;
  readonly endpoint: string | undefined;
  readonly credentials: SqsCredentials | undefined;
  readonly queuePrefix: string;
  readonly dlqSuffix: string;
  readonly waitTimeSeconds: number;
  readonly maxReceives: number | undefined;
  readonly visibilityTimeoutSeconds: number | undefined;
  readonly queueCacheMs: number;
  readonly redriveMargin: number;
  readonly publishConcurrency: number;
  readonly client: SQSClient | undefined;
}

const OWNER = 'sqsTransport';

function int(name: string, v: unknown, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw optionError(OWNER, name, `an integer from ${min} to ${max}`, v);
  return v;
}

function text(name: string, v: unknown, pattern: RegExp, expected: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !pattern.test(v)) throw optionError(OWNER, name, expected, v);
  return v;
}

/** Validate `sqsTransport` options at the boundary (a `ConfigError` names the option). */
export function resolveSqsOptions(o: SqsTransportOptions): ResolvedSqsOptions {
  if (o === null || typeof o !== 'object') throw optionError(OWNER, 'options', 'an object', o);
  const endpoint = text('endpoint', o.endpoint, /^https?:\/\/[^\s]+$/, 'an http(s) URL like http://127.0.0.1:9324');
  const region = text('region', o.region, /^[a-z0-9-]+$/, 'a region name like "eu-west-1"');
  const c = o.credentials;
  if (
    c !== undefined &&
    (c === null ||
      typeof c !== 'object' ||
      typeof c.accessKeyId !== 'string' ||
      c.accessKeyId === '' ||
      typeof c.secretAccessKey !== 'string' ||
      c.secretAccessKey === '' ||
      (c.sessionToken !== undefined && typeof c.sessionToken !== 'string'))
  )
    throw optionError(OWNER, 'credentials', '{ accessKeyId, secretAccessKey, sessionToken? } with non-empty strings');
  if (o.client !== undefined && (o.client === null || typeof (o.client as { send?: unknown }).send !== 'function'))
    throw optionError(OWNER, 'client', 'an SQSClient from @aws-sdk/client-sqs');
  return {
    region,
    endpoint,
    credentials: c,
    queuePrefix: text('queuePrefix', o.queuePrefix, /^[A-Za-z0-9-]{0,20}$/, 'at most 20 of [A-Za-z0-9-]') ?? '',
    dlqSuffix: text('dlqSuffix', o.dlqSuffix, /^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" or "-"') ?? '.dlq',
    waitTimeSeconds: int('waitTimeSeconds', o.waitTimeSeconds, 0, 20) ?? 20,
    maxReceives: int('maxReceives', o.maxReceives, 1, 100),
    visibilityTimeoutSeconds: int('visibilityTimeoutSeconds', o.visibilityTimeoutSeconds, 1, 43_200),
    queueCacheMs: int('queueCacheMs', o.queueCacheMs, 0, 3_600_000) ?? 2_000,
    redriveMargin: int('redriveMargin', o.redriveMargin, 1, 1000) ?? 10,
    publishConcurrency: int('publishConcurrency', o.publishConcurrency, 1, 256) ?? 16,
    client: o.client,
  };
}

/** The secrets these options hold, for `redact`. */
export function sqsSecrets(o: Pick<ResolvedSqsOptions, 'credentials'>): string[] {
  const c = o.credentials;
  return c ? [c.secretAccessKey, ...(c.sessionToken ? [c.sessionToken] : [])] : [];
}

/** Visibility timeout of a lane: the option, else derived from the handler timeout. */
export function visibilityFor(o: Pick<ResolvedSqsOptions, 'visibilityTimeoutSeconds'>, timeoutMs: number): number {
  if (o.visibilityTimeoutSeconds !== undefined) return o.visibilityTimeoutSeconds;
  if (!Number.isFinite(timeoutMs)) return 30;
  return Math.min(43_200, Math.max(10, Math.ceil(timeoutMs / 1000)));
}
