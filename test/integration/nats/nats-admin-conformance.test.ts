// The admin conformance kit (@partita/testing/vitest) on a real NATS JetStream server.
import { natsTransport } from '@partita/nats';
import { adminConformance } from '@partita/testing/vitest';
import { deleteStreamsFor, NATS_URL, natsAvailable } from './nats-helpers.js';

adminConformance('nats', () => natsTransport({ servers: [NATS_URL] }), {
  available: async () => (await natsAvailable()) || `NATS not reachable at ${NATS_URL}`,
  cleanupTopics: (topics) => deleteStreamsFor(topics),
});
