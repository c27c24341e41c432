// Chaos soak on NATS JetStream (127.0.0.1:4222): members are child processes
// sharing one durable consumer, half of the stops are SIGKILL.
import { beforeAll, describe, it } from 'vitest';
import { NATS_URL, natsAvailable } from '../nats/nats-helpers.js';
import { buildSoakMembers, expectSoakPasses } from './soak-test-run.js';

const up = await natsAvailable();

describe.skipIf(!up)('chaos soak: nats', () => {
  beforeAll(buildSoakMembers, 240_000);

  it("10 s of member processes started, stopped and kill -9ed: 0 lost, key order within tenures, duplicates within the killed members' windows", async () => {
    await expectSoakPasses({ connector: 'nats', env: { PARTITA_NATS_SERVERS: NATS_URL } });
  });
});
