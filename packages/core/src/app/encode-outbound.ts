import type { Codec } from '../codec/codec.js';
import { EncodeError } from '../codec/encode-error.js';
import type { PublishMessage } from '../message/message.js';
import type { OutboundRecord, Transport } from '../transport/transport.js';
import { UnsupportedFeatureError } from './unsupported-feature-error.js';
import { validateTopicName } from '../topic/topic-name.js';

const MAX_DEPTH = 256;
const isJson = (codec: Codec): boolean => /json/i.test(codec.contentType);

const describe = (v: unknown): string =>
  typeof v === 'function'
    ? 'a function'
    : typeof v === 'symbol'
      ? 'a Symbol'
      : v === undefined
        ? 'undefined'
        : typeof v === 'bigint'
          ? 'a BigInt'
          : typeof v;

const child = (path: string, key: string | number): string =>
  typeof key === 'number'
    ? `${path}[${key}]`
    : /^[A-Za-z_$][\w$]*$/.test(key)
      ? `${path}.${key}`
      : `${path}[${JSON.stringify(key)}]`;

/**
 * The first part of `value` no codec can carry faithfully, as `[path, what]`:
 * a function or Symbol anywhere (JSON drops them, msgpack writes nothing), a
 * top-level `undefined`, a circular reference, a BigInt under a JSON codec.
 * Walks arrays and plain objects only (other objects are the codec's
 * business); `undefined` inside an object is allowed (an absent field).
 */
function findUnencodable(value: unknown, json: boolean): [string, string] | undefined {
  if (value === undefined) return ['value', 'undefined (use null for a tombstone)'];
  const ancestors: object[] = [];
  // Returns the problem with the keys leading to it, innermost first; paths are built only on failure.
  const walk = (v: unknown, depth: number): { keys: (string | number)[]; what: string } | undefined => {
    const t = typeof v;
    if (t === 'function' || t === 'symbol' || (t === 'bigint' && json)) return { keys: [], what: describe(v) };
    if (v === null || t !== 'object' || depth > MAX_DEPTH) return undefined;
    const o = v as object;
    const isArray = Array.isArray(o);
    if (!isArray) {
      const proto: unknown = Object.getPrototypeOf(o);
      if (proto !== Object.prototype && proto !== null) return undefined;
    }
    if (ancestors.includes(o)) return { keys: [], what: 'a circular reference' };
    ancestors.push(o);
    try {
      if (isArray) {
        const a = o as unknown[];
        for (let i = 0; i < a.length; i++) {
          const found = walk(a[i], depth + 1);
          if (found) return (found.keys.push(i), found);
        }
      } else {
        for (const k in o) {
          const found = walk((o as Record<string, unknown>)[k], depth + 1);
          if (found) return (found.keys.push(k), found);
        }
      }
      return undefined;
    } finally {
      ancestors.pop();
    }
  };
  const found = walk(value, 0);
  return found && [found.keys.reduceRight<string>((path, key) => child(path, key), 'value'), found.what];
}

/** Encode `value` with `codec`, or throw `EncodeError` naming the field and the codec. */
export function encodeValue(codec: Codec, value: unknown): Uint8Array {
  const bad = findUnencodable(value, isJson(codec));
  if (bad)
    throw new EncodeError(
      bad[0],
      `publish: "${bad[0]}" is ${bad[1]}, which the ${codec.contentType} codec cannot encode; nothing was published`,
    );
  let bytes: Uint8Array;
  try {
    bytes = codec.encode(value);
  } catch (err) {
    throw new EncodeError(
      'value',
      `publish: "value" cannot be encoded by the ${codec.contentType} codec: ${(err as Error)?.message ?? String(err)}; nothing was published`,
      { cause: err },
    );
  }
  if (!(bytes instanceof Uint8Array))
    throw new EncodeError(
      'value',
      `publish: the ${codec.contentType} codec returned no bytes for "value"; nothing was published`,
    );
  return bytes;
}

/** Check that every header value is a string; `EncodeError` names the first one that is not. */
export function checkHeaders(headers: unknown): void {
  if (headers === undefined) return;
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    throw new EncodeError(
      'headers',
      `publish: "headers" must be an object of string values (got ${describe(headers)}); nothing was published`,
    );
  }
  for (const [name, v] of Object.entries(headers)) {
    if (typeof v !== 'string') {
      throw new EncodeError(
        `headers.${name}`,
        `publish: header "${name}" must be a string (got ${v === null ? 'null' : describe(v)}); convert it with String(...); nothing was published`,
      );
    }
  }
}

const FEATURES = [
  ['delayMs', 'nativeDelay'],
  ['priority', 'priority'],
  ['ttlMs', 'ttl'],
] as const;

/**
 * Refuse a publish that asks for a feature the transport lacks, rather than
 * silently ignoring it. `delayMs: 0` asks for nothing and passes.
 */
export function checkFeatures(m: PublishMessage, transport: Pick<Transport, 'name' | 'capabilities'>): void {
  for (const [field, capability] of FEATURES) {
    const v = m[field];
    if (v === undefined || (field === 'delayMs' && v === 0)) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || (field !== 'priority' && v < 0)) {
      throw new EncodeError(
        field,
        `publish: "${field}" must be a finite number${field === 'priority' ? '' : ' ≥ 0'} (got ${String(v)}); nothing was published`,
      );
    }
    if (!transport.capabilities[capability]) {
      throw new UnsupportedFeatureError(
        field,
        transport.name,
        `publish: the ${transport.name} transport does not support "${field}" (capabilities.${capability} is false); nothing was published`,
      );
    }
  }
}

/**
 * Turn one `PublishMessage` into an `OutboundRecord`, checking everything the
 * transport would otherwise mangle or ignore: the shape and topic name
 * (`TypeError`, `InvalidTopicError`), the value (`EncodeError`), the
 * headers (`EncodeError`) and the features asked for (`UnsupportedFeatureError`).
 * `value: null` is a tombstone: no bytes and no content type.
 */
export function encodeOutbound(
  m: PublishMessage,
  codec: Codec,
  transport: Pick<Transport, 'name' | 'capabilities'>,
): OutboundRecord {
  if (m === null || typeof m !== 'object')
    throw new TypeError('publish: each message must be an object { topic, value, key?, headers? }');
  if (typeof m.topic !== 'string' || m.topic === '')
    throw new TypeError(`publish: "topic" must be a non-empty string (got ${JSON.stringify(m.topic)})`);
  validateTopicName(m.topic);
  if (m.key !== undefined && typeof m.key !== 'string')
    throw new TypeError(`publish: "key" must be a string when given (got ${typeof m.key})`);
  checkHeaders(m.headers);
  checkFeatures(m, transport);
  const tombstone = m.value === null;
  return {
    topic: m.topic,
    ...(m.key !== undefined ? { key: m.key } : {}),
    value: tombstone ? null : encodeValue(codec, m.value),
    headers: tombstone ? { ...m.headers } : { 'content-type': codec.contentType, ...m.headers },
    ...(m.partition !== undefined ? { partition: m.partition } : {}),
    ...(m.delayMs !== undefined ? { delayMs: m.delayMs } : {}),
    ...(m.priority !== undefined ? { priority: m.priority } : {}),
    ...(m.ttlMs !== undefined ? { ttlMs: m.ttlMs } : {}),
  };
}
