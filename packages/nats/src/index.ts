export { natsTransport } from './transport/nats-transport.js';
export type { NatsTransport } from './transport/nats-transport.js';
export { natsFromEnv, transportFromEnv } from './env/nats-from-env.js';
export { resolveNatsOptions } from './options/nats-transport-options.js';
export type { NatsTransportOptions, NatsTlsOptions, ResolvedNatsOptions } from './options/nats-transport-options.js';
export { streamNameFor } from './stream/stream-provisioner.js';
export { durableNameFor, ackWaitFor } from './consumer/durable-consumer.js';
export { mapNatsError } from './errors/map-nats-error.js';
export { KEY_HEADER, NOT_BEFORE_HEADER, TOMBSTONE_HEADER } from './headers/record-headers.js';
