import { afterAll } from 'vitest';
import { adminConformance } from '@partita/testing/vitest';
import { rabbitmqTransport } from '@partita/rabbitmq';
import { RABBITMQ_URL, rabbitAvailable, RabbitNames } from './rabbitmq-helpers.js';

const PARTITIONS = 3;
// A prefix of this file's own, so its topology registry holds only what these tests declare.
const prefix = `adm${Math.floor(Math.random() * 36 ** 6).toString(36)}.`;
const names = new RabbitNames(PARTITIONS, '.dlq', prefix);

afterAll(() => names.deleteAll(), 60_000);

adminConformance(
  'rabbitmq',
  (ctx) =>
    names.track(
      rabbitmqTransport({
        url: RABBITMQ_URL,
        name: `admin-kit-${ctx.label}`,
        prefix,
        partitions: PARTITIONS,
        reconnectTimeMs: 250,
        rebalanceIntervalMs: 200,
        probeIntervalMs: 1000,
      }),
    ),
  { available: async () => (await rabbitAvailable()) || 'RabbitMQ unreachable' },
);
