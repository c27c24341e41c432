import { ConfigError } from '../errors/partita-error.js';
import { checkLogger } from '../logger/logger.js';
import { optionError } from '../options/option-error.js';
import type { AppOptions } from './app-types.js';
import type { AnyHandlerDefinition } from '../handler/handler.js';
import { validateTopicName } from '../topic/topic-name.js';

const TRANSPORT_METHODS = ['connect', 'publish', 'subscribe', 'health', 'close'] as const;
const CLOCK_METHODS = ['now', 'setTimeout', 'clearTimeout', 'queueTurn'] as const;

/** `Array.isArray` without its narrowing of a readonly array to `any[]`. */
const isList = (v: unknown): v is readonly unknown[] => Array.isArray(v);

/** Check `createApp` options; each problem is a `ConfigError` naming the option and the expected form. */
export function validateAppOptions(options: AppOptions): void {
  if (options === null || typeof options !== 'object')
    throw new ConfigError('createApp(options): options must be an object with at least { transport }');
  const t = options.transport as unknown as Record<string, unknown> | undefined;
  if (!t || typeof t !== 'object') {
    throw new ConfigError(
      'createApp: option "transport" is required, e.g. memoryTransport(createMemoryBroker()) from @partita/memory or transportFromEnv()',
    );
  }
  for (const m of TRANSPORT_METHODS) {
    if (typeof t[m] !== 'function')
      throw new ConfigError(
        `createApp: option "transport" must implement ${m}() (see the Transport interface of @partita/core)`,
      );
  }
  const caps = t.capabilities as { ackModel?: unknown } | undefined;
  if (!caps || (caps.ackModel !== 'offset' && caps.ackModel !== 'message')) {
    throw new ConfigError('createApp: option "transport" must have capabilities.ackModel "offset" or "message"');
  }
  const handlers = options.handlers ?? [];
  if (!isList(handlers))
    throw new ConfigError('createApp: option "handlers" must be an array of defineHandler(...) results');
  const names = new Set<string>();
  for (const [i, h] of handlers.entries()) {
    if (!h || (h as { kind?: unknown }).kind !== 'partita.handler')
      throw new ConfigError(`createApp: handlers[${i}] is not a handler; wrap it in defineHandler({...})`);
    if (names.has(h.name))
      throw new ConfigError(
        `createApp: two handlers are named "${h.name}"; handler names must be unique within an app`,
      );
    names.add(h.name);
  }
  const lanes = new Map<string, string>();
  for (const h of handlers) {
    const key = `${h.group}\u0000${h.topic}`;
    const other = lanes.get(key);
    if (other !== undefined) {
      throw new ConfigError(
        `createApp: handlers "${other}" and "${h.name}" both consume topic "${h.topic}" in group "${h.group}"; they would split its messages between them. ` +
          'Give one of them another group (option "group"), or merge them into one handler',
      );
    }
    lanes.set(key, h.name);
  }
  if (options.codec !== undefined) {
    const c = options.codec as unknown as Record<string, unknown>;
    if (typeof c.encode !== 'function' || typeof c.decode !== 'function' || typeof c.contentType !== 'string') {
      throw new ConfigError('createApp: option "codec" must have encode(value), decode(bytes) and contentType');
    }
  }
  if (
    options.middleware !== undefined &&
    (!Array.isArray(options.middleware) || options.middleware.some((m) => typeof m !== 'function'))
  ) {
    throw new ConfigError('createApp: option "middleware" must be an array of (next) => (msg, ctx) => ... functions');
  }
  if (
    options.maxBufferedBytes !== undefined &&
    !(Number.isInteger(options.maxBufferedBytes) && options.maxBufferedBytes > 0)
  ) {
    throw optionError('createApp', 'maxBufferedBytes', 'a positive integer', options.maxBufferedBytes);
  }
  if (
    options.maxHeldMessages !== undefined &&
    !(Number.isInteger(options.maxHeldMessages) && options.maxHeldMessages > 0)
  ) {
    throw optionError('createApp', 'maxHeldMessages', 'a positive integer', options.maxHeldMessages);
  }
  if (options.dlqSuffix !== undefined && (typeof options.dlqSuffix !== 'string' || options.dlqSuffix === '')) {
    throw optionError('createApp', 'dlqSuffix', 'a non-empty string such as ".dlq"', options.dlqSuffix);
  }
  if (options.clock !== undefined) {
    const c = options.clock as unknown as Record<string, unknown> | null;
    if (!c || CLOCK_METHODS.some((m) => typeof c[m] !== 'function'))
      throw optionError('createApp', 'clock', `a Clock with ${CLOCK_METHODS.map((m) => `${m}()`).join(', ')}`);
  }
  if (options.logger !== undefined) checkLogger('createApp', options.logger);
  if (options.random !== undefined && typeof options.random !== 'function')
    throw optionError('createApp', 'random', 'a function returning a number in [0, 1)', typeof options.random);
}

/**
 * Every handler's dead-letter topic must be a valid topic name: a default one
 * (`<topic><dlqSuffix>`) of a topic near the 249-byte limit would not be, and
 * the first poison message could then never be dead-lettered.
 */
/** The topic a handler's dead letters go to: its explicit `deadLetter.topic`, else `<topic><dlqSuffix>`; `null` when off. */
export function deadLetterTopicOf(h: AnyHandlerDefinition, dlqSuffix: string): string | null {
  return h.deadLetter === false ? null : (h.deadLetter.topic ?? `${h.topic}${dlqSuffix}`);
}

export function validateDeadLetterTopics(handlers: readonly AnyHandlerDefinition[], dlqSuffix: string): void {
  for (const h of handlers) {
    const topic = deadLetterTopicOf(h, dlqSuffix);
    if (topic === null) continue;
    const explicit = h.deadLetter !== false && h.deadLetter.topic !== undefined;
    try {
      validateTopicName(topic);
    } catch (err) {
      const fix = explicit
        ? 'choose another deadLetter.topic'
        : `shorten the topic, choose a shorter dlqSuffix, or set deadLetter.topic`;
      throw new ConfigError(
        `handler "${h.name}": its dead-letter topic ${explicit ? '(option "deadLetter.topic")' : `"${h.topic}" + "${dlqSuffix}"`} is not a valid topic name: ${(err as Error).message}; ${fix}`,
        { cause: err },
      );
    }
  }
}
