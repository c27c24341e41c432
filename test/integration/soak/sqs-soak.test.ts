// Chaos soak on SQS (the ElasticMQ from global setup): members are child
// processes sharing one FIFO group queue, half of the stops are SIGKILL.
import { beforeAll, describe, it } from 'vitest';
import { endpoint, sqsSkipReason } from '../sqs/sqs-test-env.js';
import { buildSoakMembers, expectSoakPasses } from './soak-test-run.js';

describe.skipIf(sqsSkipReason !== undefined)('chaos soak: sqs', () => {
  beforeAll(buildSoakMembers, 240_000);

  it('10 s of member processes started, stopped and kill -9ed: 0 lost, key order across members, duplicates only from killed members', async () => {
    await expectSoakPasses({ connector: 'sqs', env: { PARTITA_SQS_ENDPOINT: endpoint } });
  });
});
