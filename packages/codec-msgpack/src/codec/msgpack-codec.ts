import { Packr, Unpackr, C1 } from 'msgpackr';
import { ConfigError, type Codec } from '@partita/core';

/** The content type every msgpack-encoded message carries. */
export const MSGPACK_CONTENT_TYPE = 'application/vnd.msgpack';

/** Options of {@link msgpackCodec}. Plain data, so they can cross to worker threads. */
export interface MsgpackCodecOptions {
  /**
   * Largest payload, in bytes, that `encode` produces and `decode` accepts.
   * A larger one throws a `RangeError` (decode: the runtime turns it into a
   * `DecodeError`, dead-letter reason `decode`).
   * @defaultValue 16 MiB (16_777_216)
   */
  readonly maxBytes?: number;
  /**
   * Shared record structures: lists of property names known in advance by
   * every producer and consumer (same list, same order, e.g. from a shared
   * module). Objects of these shapes are written as a one-byte structure id
   * plus values. The list is copied and never grows: shapes not listed are
   * written with their structure inline, so every message stays decodable on
   * its own by any process. Changing or reordering the list breaks decoding
   * of messages already written: only append.
   * @defaultValue [] (no shared structures; records are defined inline)
   */
  readonly structures?: readonly (readonly string[])[];
  /**
   * Use msgpackr's record extension for objects. `false` writes plain
   * MessagePack maps that any MessagePack library decodes (slower, larger).
   * `structures` requires `true`.
   * @defaultValue true
   */
  readonly records?: boolean;
  /**
   * How 64-bit integers decode: `number` (may lose precision past 2^53),
   * `bigint`, `string`, or `auto` (number when safe, else bigint).
   * @defaultValue 'auto'
   */
  readonly int64AsType?: 'number' | 'bigint' | 'string' | 'auto';
}

/** A msgpack codec; `options` are the resolved options (for workers). */
export interface MsgpackCodec extends Codec {
  readonly options: Readonly<Required<MsgpackCodecOptions>>;
}

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
/** msgpackr's limit on shared structures (ids 0x40..0x7f extended). */
const MAX_SHARED_STRUCTURES = 8160;
const INT64_TYPES = ['number', 'bigint', 'string', 'auto'] as const;

function resolveOptions(options: MsgpackCodecOptions): Readonly<Required<MsgpackCodecOptions>> {
  if (options === null || typeof options !== 'object')
    throw new ConfigError('msgpackCodec(options): options must be an object');
  const { maxBytes = DEFAULT_MAX_BYTES, structures = [], records = true, int64AsType = 'auto' } = options;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new ConfigError(
      `msgpackCodec: option "maxBytes" must be a positive integer number of bytes, got ${String(maxBytes)}`,
    );
  }
  if (typeof records !== 'boolean')
    throw new ConfigError(`msgpackCodec: option "records" must be a boolean, got ${typeof records}`);
  if (!INT64_TYPES.includes(int64AsType)) {
    throw new ConfigError(
      `msgpackCodec: option "int64AsType" must be one of ${INT64_TYPES.join(', ')}, got ${String(int64AsType)}`,
    );
  }
  if (!Array.isArray(structures))
    throw new ConfigError('msgpackCodec: option "structures" must be an array of string arrays');
  if (structures.length > MAX_SHARED_STRUCTURES) {
    throw new ConfigError(
      `msgpackCodec: option "structures" holds ${structures.length} structures; at most ${MAX_SHARED_STRUCTURES} are supported`,
    );
  }
  structures.forEach((s, i) => {
    if (!Array.isArray(s) || s.length === 0 || !s.every((k) => typeof k === 'string') || new Set(s).size !== s.length) {
      throw new ConfigError(
        `msgpackCodec: option "structures[${i}]" must be a non-empty array of distinct property names`,
      );
    }
  });
  if (structures.length > 0 && !records)
    throw new ConfigError('msgpackCodec: option "structures" requires "records: true"');
  // Validated above: an array of string arrays (Array.isArray typed it any[]).
  const frozen = Object.freeze((structures as readonly (readonly string[])[]).map((s) => Object.freeze([...s])));
  return Object.freeze({ maxBytes, structures: frozen, records, int64AsType });
}

/**
 * A `Codec` for MessagePack (content type `application/vnd.msgpack`) on
 * msgpackr, with record structures.
 *
 * `encode` returns a copy with its own exact-size buffer (msgpackr writes
 * into a shared, reused buffer), so the bytes may be kept or transferred.
 * `decode` throws on truncated, trailing, reserved (0xC1) or oversized input;
 * decoded binaries are copies (they never alias the input). Maps decode to
 * plain objects; a `__proto__` key is renamed by msgpackr, never assigned.
 */
export function msgpackCodec(options: MsgpackCodecOptions = {}): MsgpackCodec {
  const resolved = resolveOptions(options);
  const { maxBytes, records, int64AsType } = resolved;
  const shared = resolved.structures.length;
  // msgpackr mutates its structures array; each instance gets its own copy.
  const structures = (): string[][] => resolved.structures.map((s) => [...s]);
  // msgpackr supports int64AsType 'auto' at runtime; its typings lag behind.
  const base = { useRecords: records, mapsAsObjects: true, copyBuffers: true, int64AsType: int64AsType as 'number' };
  const sharing = (): { structures?: string[][]; maxSharedStructures?: number } =>
    shared > 0 ? { structures: structures(), maxSharedStructures: shared } : {};
  const packr = new Packr({ ...base, ...sharing() });
  const unpackr = new Unpackr({ ...base, ...sharing() });

  return {
    contentType: MSGPACK_CONTENT_TYPE,
    options: resolved,
    encode(value: unknown): Uint8Array {
      const out = packr.pack(value);
      if (out.byteLength > maxBytes) {
        throw new RangeError(`msgpack payload of ${out.byteLength} bytes exceeds maxBytes=${maxBytes}`);
      }
      // Own, exact-size buffer: msgpackr's output is a view of a reused buffer.
      return Uint8Array.prototype.slice.call(out);
    },
    decode(bytes: Uint8Array): unknown {
      if (!(bytes instanceof Uint8Array)) throw new TypeError('msgpack decode expects a Uint8Array');
      if (bytes.byteLength > maxBytes) {
        throw new RangeError(`msgpack payload of ${bytes.byteLength} bytes exceeds maxBytes=${maxBytes}`);
      }
      if (bytes.byteLength === 0) throw new RangeError('msgpack payload is empty');
      const value: unknown = unpackr.unpack(bytes);
      if (value === C1) throw new TypeError('msgpack payload holds the reserved byte 0xC1');
      return value;
    },
  };
}
