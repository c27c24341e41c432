export { sqsTransport, SqsTransport } from './transport/sqs-transport.js';
export { sqsFromEnv, transportFromEnv } from './env/sqs-from-env.js';
export { resolveSqsOptions, visibilityFor } from './options/sqs-options.js';
export type { SqsTransportOptions, SqsCredentials, ResolvedSqsOptions } from './options/sqs-options.js';
export { queueNameFor, topicQueuePrefix, encodeName } from './queues/queue-names.js';
export { MAX_MESSAGE_BYTES, ENVELOPE_ATTRIBUTE } from './envelope/sqs-envelope.js';
export { mapSqsError } from './errors/map-sqs-error.js';
