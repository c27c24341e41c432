import { DecodeError } from '../errors/partita-error.js';

/**
 * Turns values into bytes and back. `decode` must throw (any error; the
 * runtime wraps it in `DecodeError`) on malformed input and never return
 * partial data. Codecs are stateless and safe to share between apps.
 */
export interface Codec {
  /** Stored in the `content-type` header of every published message. */
  readonly contentType: string;
  /**
   * For worker handlers: a module whose default export is this codec, so
   * worker threads decode messages and encode what handlers publish with it
   * (`new URL('./my-codec.js', import.meta.url)`). Not needed for the JSON and
   * msgpack codecs, which workers know.
   */
  readonly workerModule?: string | URL;
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The default codec: UTF-8 JSON. `undefined` encodes as `null`; a value JSON
 * has no text for (a function, a Symbol) throws instead of yielding 0 bytes,
 * as do BigInts and circular objects. (`publish` checks values before they
 * get here and names the offending field; see `EncodeError`.)
 */
export const jsonCodec: Codec = {
  contentType: 'application/json',
  encode(value: unknown): Uint8Array {
    const text = JSON.stringify(value ?? null);
    if (text === undefined) throw new TypeError(`JSON has no representation for ${typeof value}`);
    return encoder.encode(text);
  },
  decode(bytes: Uint8Array): unknown {
    return JSON.parse(decoder.decode(bytes));
  },
};

/** Decode with `codec`, wrapping any failure in a `DecodeError`. */
export function decodeWith(codec: Codec, bytes: Uint8Array): unknown {
  try {
    return codec.decode(bytes);
  } catch (err) {
    throw new DecodeError(
      `payload of ${bytes.byteLength} bytes is not valid ${codec.contentType}: ${(err as Error)?.message ?? err}`,
      { cause: err },
    );
  }
}
