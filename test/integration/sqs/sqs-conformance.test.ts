import { conformanceSuite } from '@partita/testing/vitest';
import { deleteQueuesOf, testTransport } from './sqs-helpers.js';
import { endpoint, sqsSkipReason } from './sqs-test-env.js';

const url = new URL(endpoint);

conformanceSuite({
  name: 'sqs',
  createTransport: (ctx) => testTransport({}, ctx.proxy ? `http://${ctx.proxy.host}:${ctx.proxy.port}` : endpoint),
  available: () => sqsSkipReason ?? true,
  proxyTarget: { host: url.hostname, port: Number(url.port || 80) },
  cleanupTopics: (topics) => deleteQueuesOf(topics.flatMap((t) => [t, `${t}.dlq`])),
  bulkMessages: 3000,
});
