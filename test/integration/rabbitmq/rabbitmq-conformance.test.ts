import { conformanceSuite } from '@partita/testing/vitest';
import { rabbitmqTransport } from '@partita/rabbitmq';
import { afterAll } from 'vitest';
import { RABBITMQ_TARGET, RABBITMQ_URL, rabbitAvailable, RabbitNames } from './rabbitmq-helpers.js';

const PARTITIONS = 4;
const names = new RabbitNames(PARTITIONS);

afterAll(() => names.deleteAll(), 60_000);

conformanceSuite({
  name: 'rabbitmq',
  createTransport: (ctx) =>
    names.track(
      rabbitmqTransport({
        url: ctx.proxy ? `amqp://guest:guest@${ctx.proxy.host}:${ctx.proxy.port}` : RABBITMQ_URL,
        name: `kit-${ctx.label}`,
        partitions: PARTITIONS,
        reconnectTimeMs: 250,
        rebalanceIntervalMs: 200,
        probeIntervalMs: 1000,
        publishTimeoutMs: 10_000,
      }),
    ),
  available: async () => (await rabbitAvailable()) || 'RabbitMQ unreachable',
  proxyTarget: RABBITMQ_TARGET,
  bulkMessages: 5000,
});
