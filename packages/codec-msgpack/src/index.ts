export { msgpackCodec, MSGPACK_CONTENT_TYPE } from './codec/msgpack-codec.js';
export type { MsgpackCodec, MsgpackCodecOptions } from './codec/msgpack-codec.js';
