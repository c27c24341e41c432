import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { natsTransport } from '@partita/nats';
import type { SoakConnector } from './soak-connector.js';

export const NATS_SERVERS_ENV = 'PARTITA_NATS_SERVERS';
const DEFAULT_SERVERS = 'nats://127.0.0.1:4222';

/**
 * NATS JetStream: members are processes sharing one durable pull consumer.
 * `ack_wait` is `timeoutMs + 1 s` = 3 s: a killed member's records come back
 * after that. `maxDeliver: -1`: under kill -9 every 500 ms a record can meet
 * several dying members; the default `maxAttempts + 5` would strand it in the
 * stream (see packages/nats/README.md, known limits).
 */
export const natsConnector: SoakConnector = {
  name: 'nats',
  members: 'processes',
  rebalanceDuplicates: false,
  keyOrderAcrossMembers: false,
  handler: { maxInFlight: 32, timeoutMs: 2_000 },
  open(names, env) {
    const servers = (env[NATS_SERVERS_ENV] ?? DEFAULT_SERVERS)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return Promise.resolve({
      env: { [NATS_SERVERS_ENV]: servers.join(',') },
      transport: (name) => natsTransport({ servers, name, maxDeliver: -1, reconnectTimeWaitMs: 200 }),
      async close() {
        const nc = await connect({ servers });
        try {
          const jsm = await jetstreamManager(nc);
          const stream = await jsm.streams.find(names.topic).catch(() => undefined);
          if (stream) await jsm.streams.delete(stream).catch(() => undefined);
        } finally {
          await nc.close();
        }
      },
    });
  },
};
