// Chaos soak on Kafka (the shared broker from global setup): members are
// child processes, half of the stops are SIGKILL.
import { beforeAll, describe, it } from 'vitest';
import { brokers, kafkaSkipReason } from '../kafka/kafka-test-env.js';
import { buildSoakMembers, expectSoakPasses } from './soak-test-run.js';

describe.skipIf(kafkaSkipReason !== undefined)('chaos soak: kafka', () => {
  beforeAll(buildSoakMembers, 240_000);

  it("10 s of member processes started, stopped and kill -9ed: 0 lost, key order kept, duplicates within lost lanes' windows", async () => {
    await expectSoakPasses({ connector: 'kafka', env: { PARTITA_KAFKA_BROKERS: brokers.join(',') } });
  });
});
