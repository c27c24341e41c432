// Chaos soak on RabbitMQ (127.0.0.1:5672): members are child processes, each
// consuming the group's 8 partition quorum queues (single active consumer);
// half of the stops are SIGKILL.
import { beforeAll, describe, it } from 'vitest';
import { RABBITMQ_URL, rabbitAvailable } from '../rabbitmq/rabbitmq-helpers.js';
import { buildSoakMembers, expectSoakPasses } from './soak-test-run.js';

const up = await rabbitAvailable();

describe.skipIf(!up)('chaos soak: rabbitmq', () => {
  beforeAll(buildSoakMembers, 240_000);

  it("10 s of member processes started, stopped and kill -9ed: 0 lost, key order kept across members, duplicates within the killed members' windows", async () => {
    await expectSoakPasses({ connector: 'rabbitmq', env: { PARTITA_RABBITMQ_URL: RABBITMQ_URL } });
  });
});
