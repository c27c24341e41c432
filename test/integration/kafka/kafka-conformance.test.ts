// The connector conformance kit (@partita/testing) on a real Kafka broker.
import { conformanceSuite } from '@partita/testing/vitest';
import { brokers, kafkaSkipReason, testTransport, viaProxy } from './kafka-test-env.js';

const [host, port] = (brokers[0] ?? '127.0.0.1:19092').split(':');

conformanceSuite({
  name: 'kafka',
  available: () => kafkaSkipReason ?? true,
  proxyTarget: { host: host!, port: Number(port) },
  rebalanceDuplicates: true,
  createTransport: ({ proxy }) =>
    testTransport({
      partitions: 4,
      ...(proxy
        ? { socketFactory: viaProxy(proxy), retry: { retries: 10, initialRetryTimeMs: 200, maxRetryTimeMs: 2_000 } }
        : {}),
    }),
});
