import { pathToFileURL } from 'node:url';
import { isAbsolute } from 'node:path';
import { ConfigError, isRetryable } from '../errors/partita-error.js';
import { optionError } from '../options/option-error.js';
import { validateTopicName } from '../topic/topic-name.js';
import type { DefaultableOption, HandlerDefinition, HandlerOptions } from './handler.js';

const ORDERINGS = ['key', 'partition', 'none'] as const;

function fail(name: string, option: string, expected: string, got: unknown): never {
  throw optionError(`handler "${name}"`, option, expected, got);
}

function positiveInt(name: string, option: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(name, option, 'a positive integer', v);
  return v;
}

/** A time limit in ms: a positive integer, or `Infinity` for no limit. */
function limitMs(name: string, option: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (v === Infinity) return v;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    fail(name, option, 'a positive integer number of ms, or Infinity for no limit', v);
  return v;
}

function nonNegative(name: string, option: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(name, option, 'a finite number ≥ 0', v);
  return v;
}

/**
 * Declare a handler. Validates every option and fills in the defaults, so a
 * mistake is a `ConfigError` at definition time, not a surprise at runtime.
 */
export function defineHandler<T = unknown>(options: HandlerOptions<T>): HandlerDefinition<T> {
  if (options === null || typeof options !== 'object')
    throw new ConfigError('defineHandler(options): options must be an object');
  const { name, topic } = options;
  if (typeof name !== 'string' || name.trim() === '')
    throw optionError('defineHandler', 'name', 'a non-empty string', name);
  if (typeof topic !== 'string' || topic.trim() === '') fail(name, 'topic', 'a non-empty string', topic);
  try {
    validateTopicName(topic);
  } catch (err) {
    throw new ConfigError(`handler "${name}": option "topic": ${(err as Error).message}`, { cause: err });
  }
  const group = options.group ?? name;
  if (typeof group !== 'string' || group === '') fail(name, 'group', 'a non-empty string', group);
  const ordering = options.ordering ?? 'key';
  if (!ORDERINGS.includes(ordering))
    fail(name, 'ordering', `one of ${ORDERINGS.map((o) => `'${o}'`).join(', ')}`, ordering);
  const maxInFlight = ordering === 'partition' ? 1 : positiveInt(name, 'maxInFlight', options.maxInFlight, 64);
  if (ordering === 'partition' && options.maxInFlight !== undefined)
    positiveInt(name, 'maxInFlight', options.maxInFlight, 1);
  const timeoutMs = limitMs(name, 'timeoutMs', options.timeoutMs, 30_000);

  const retry = options.retry ?? {};
  if (typeof retry !== 'object' || retry === null) fail(name, 'retry', 'an object', retry);
  const maxAttempts = positiveInt(name, 'retry.maxAttempts', retry.maxAttempts, 5);
  const mode = retry.mode ?? 'blocking';
  if (mode !== 'blocking' && mode !== 'delayed') fail(name, 'retry.mode', "'blocking' or 'delayed'", mode);
  const b = retry.backoff ?? {};
  const backoff = {
    initialMs: nonNegative(name, 'retry.backoff.initialMs', b.initialMs, 200),
    multiplier: nonNegative(name, 'retry.backoff.multiplier', b.multiplier, 2),
    maxMs: b.maxMs === Infinity ? Infinity : nonNegative(name, 'retry.backoff.maxMs', b.maxMs, 60_000),
    jitter: nonNegative(name, 'retry.backoff.jitter', b.jitter, 0.2),
  };
  if (backoff.multiplier < 1) fail(name, 'retry.backoff.multiplier', 'a number ≥ 1', backoff.multiplier);
  if (backoff.jitter > 1) fail(name, 'retry.backoff.jitter', 'a fraction between 0 and 1', backoff.jitter);
  if (retry.retryable !== undefined && typeof retry.retryable !== 'function')
    fail(name, 'retry.retryable', 'a function (err) => boolean', typeof retry.retryable);

  let deadLetter: HandlerDefinition['deadLetter'];
  if (options.deadLetter === false) deadLetter = false;
  else if (options.deadLetter === undefined) deadLetter = { topic: undefined };
  else if (typeof options.deadLetter === 'object' && options.deadLetter !== null) {
    const t = options.deadLetter.topic;
    if (t !== undefined && (typeof t !== 'string' || t === '')) fail(name, 'deadLetter.topic', 'a non-empty string', t);
    if (t === topic) fail(name, 'deadLetter.topic', 'different from the handler topic', t);
    deadLetter = { topic: t };
  } else fail(name, 'deadLetter', '{ topic } or false', options.deadLetter);

  const startFrom = options.startFrom ?? 'earliest';
  if (startFrom !== 'earliest' && startFrom !== 'latest') fail(name, 'startFrom', "'earliest' or 'latest'", startFrom);

  const hasHandle = options.handle !== undefined;
  const hasWorker = options.worker !== undefined;
  if (hasHandle === hasWorker)
    throw new ConfigError(`handler "${name}": give exactly one of "handle" (a function) and "worker" (a module URL)`);
  if (hasHandle && typeof options.handle !== 'function')
    fail(name, 'handle', 'a function (msg, ctx) => void | Promise<void>', typeof options.handle);
  let worker: string | undefined;
  if (hasWorker) {
    const w = options.worker;
    if (w instanceof URL) worker = w.href;
    else if (typeof w === 'string' && w.startsWith('file:')) worker = w;
    else if (typeof w === 'string' && isAbsolute(w)) worker = pathToFileURL(w).href;
    else fail(name, 'worker', "a URL (new URL('./x.worker.js', import.meta.url)) or an absolute path", w);
  }

  return Object.freeze({
    kind: 'partita.handler',
    name,
    topic,
    group,
    ordering,
    maxInFlight,
    timeoutMs,
    retry: Object.freeze({
      maxAttempts,
      mode,
      backoff: Object.freeze(backoff),
      retryable: retry.retryable ?? isRetryable,
    }),
    deadLetter,
    startFrom,
    handle: options.handle,
    worker,
    defaulted: Object.freeze(
      (
        [
          ['retry.maxAttempts', retry.maxAttempts],
          ['retry.backoff.initialMs', b.initialMs],
          ['retry.backoff.maxMs', b.maxMs],
        ] as const
      )
        .filter(([, given]) => given === undefined)
        .map(([option]): DefaultableOption => option),
    ),
  });
}
