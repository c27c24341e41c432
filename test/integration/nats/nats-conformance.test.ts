import { tcpReachable } from '@partita/testing';
import { conformanceSuite } from '@partita/testing/vitest';
import { natsTransport } from '@partita/nats';
import { deleteStreamsFor, NATS_URL } from './nats-helpers.js';

const url = new URL(NATS_URL);
const target = { host: url.hostname, port: Number(url.port || 4222) };

conformanceSuite({
  name: 'nats',
  createTransport: (ctx) =>
    natsTransport({
      servers: [ctx.proxy ? `nats://${ctx.proxy.host}:${ctx.proxy.port}` : NATS_URL],
      reconnectTimeWaitMs: 250,
      publishTimeoutMs: 5000,
    }),
  available: () => tcpReachable(target),
  proxyTarget: target,
  cleanupTopics: (topics) => deleteStreamsFor(topics),
  bulkMessages: 5000,
});
