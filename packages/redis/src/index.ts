export { redisTransport } from './transport/redis-transport.js';
export { redisFromEnv, transportFromEnv } from './env/redis-from-env.js';
export { resolveRedisOptions } from './options/redis-options.js';
export type { RedisTransportOptions, ResolvedRedisOptions } from './options/redis-options.js';
export { RedisKeys } from './keys/redis-keys.js';
export { mapRedisError } from './errors/map-redis-error.js';
