import { jsonCodec, type Codec } from '@partita/core';
import { msgpackCodec, MSGPACK_CONTENT_TYPE, type MsgpackCodecOptions } from '@partita/codec-msgpack';

/**
 * The codecs a worker decodes with, by content type (parameters such as
 * `; charset=utf-8` ignored): JSON (core's `jsonCodec`) and msgpack (with the
 * pool's `msgpack` options, so shared structures match the app's codec).
 */
export function codecRegistry(msgpack: MsgpackCodecOptions | undefined): (contentType: string) => Codec | undefined {
  let mp: Codec | undefined;
  return (contentType) => {
    const semi = contentType.indexOf(';');
    const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
    if (type === jsonCodec.contentType) return jsonCodec;
    if (type === MSGPACK_CONTENT_TYPE) return (mp ??= msgpackCodec(msgpack ?? {}));
    return undefined;
  };
}
