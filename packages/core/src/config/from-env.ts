import type { RetryOptions } from '../handler/handler.js';
import { LOG_LEVEL_NAMES, type LogLevel } from '../logger/logger.js';
import { envError, envReader, type Env } from './env-reader.js';

export const TRANSPORT_NAMES = ['memory', 'kafka', 'nats', 'rabbitmq', 'redis', 'sqs'] as const;
export type TransportName = (typeof TRANSPORT_NAMES)[number];

/** Settings read from `PARTITA_*` variables (docs/design.md §9); connector variables are read by the connectors. */
export interface EnvConfig {
  /** `PARTITA_TRANSPORT`. @defaultValue 'memory' */
  readonly transport: TransportName;
  /** `PARTITA_RETRY_MAX_ATTEMPTS`, `PARTITA_RETRY_INITIAL_MS`, `PARTITA_RETRY_MAX_MS`. */
  readonly retry: RetryOptions;
  /** `PARTITA_DLQ_SUFFIX`. @defaultValue '.dlq' */
  readonly dlqSuffix: string;
  /** `PARTITA_WORKER_THREADS`. */
  readonly workerThreads: number | undefined;
  /** `PARTITA_LOG_LEVEL`. @defaultValue 'info' */
  readonly logLevel: LogLevel;
}

/**
 * Read and validate the generic `PARTITA_*` variables; a bad value is a
 * `ConfigError` naming it. `createApp` applies them where an option is not
 * given (explicit option > environment > default); see docs/configuration.md.
 */
export function fromEnv(env: Env = process.env): EnvConfig {
  const r = envReader(env);
  const maxAttempts = r.int('PARTITA_RETRY_MAX_ATTEMPTS', 1, 1000);
  const initialMs = r.int('PARTITA_RETRY_INITIAL_MS', 0, 86_400_000);
  const maxMs = r.int('PARTITA_RETRY_MAX_MS', 0, 86_400_000);
  const backoff = { ...(initialMs !== undefined ? { initialMs } : {}), ...(maxMs !== undefined ? { maxMs } : {}) };
  const dlqSuffix = r.string('PARTITA_DLQ_SUFFIX') ?? '.dlq';
  if (!/^[A-Za-z0-9._-]+$/.test(dlqSuffix))
    throw envError('PARTITA_DLQ_SUFFIX', dlqSuffix, 'letters, digits, ".", "_" or "-" (e.g. ".dlq")');
  return {
    transport: r.oneOf('PARTITA_TRANSPORT', TRANSPORT_NAMES) ?? 'memory',
    retry: {
      ...(maxAttempts !== undefined ? { maxAttempts } : {}),
      ...(Object.keys(backoff).length ? { backoff } : {}),
    },
    dlqSuffix,
    workerThreads: r.int('PARTITA_WORKER_THREADS', 1, 1024),
    logLevel: r.oneOf('PARTITA_LOG_LEVEL', LOG_LEVEL_NAMES) ?? 'info',
  };
}
