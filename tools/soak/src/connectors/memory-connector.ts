import { createMemoryBroker, memoryTransport } from '@partita/memory';
import type { SoakConnector } from './soak-connector.js';

/** The embedded broker: every member is an app in this process sharing one broker. */
export const memoryConnector: SoakConnector = {
  name: 'memory',
  members: 'in-process',
  rebalanceDuplicates: false,
  keyOrderAcrossMembers: true,
  handler: { maxInFlight: 32, timeoutMs: 5_000 },
  open() {
    const broker = createMemoryBroker({ defaultPartitions: 8 });
    return Promise.resolve({
      env: {},
      transport: () => memoryTransport(broker, { onError: () => {} }),
      close: () => broker.close(),
    });
  },
};
