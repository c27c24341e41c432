// Chaos soak on the embedded broker: members are apps in this process sharing
// one broker; a kill -9 is an abrupt close (tools/soak/README.md).
import { describe, it } from 'vitest';
import { expectSoakPasses } from './soak-test-run.js';

describe('chaos soak: memory', () => {
  it("10 s of members started, stopped and killed: 0 lost, key order kept, duplicates within the killed members' windows", async () => {
    await expectSoakPasses({ connector: 'memory' });
  });
});
