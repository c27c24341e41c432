import { createApp, defineHandler, type Message, type OutboundRecord } from '@partita/core';
import { createMemoryBroker, memoryTransport, type MemoryBroker } from '@partita/memory';
import { rawMemoryPass } from '../../raw/raw-memory-pass.js';
import { quiet, runId, type LatencyPhase, type LatencyTarget, type Stamp } from '../latency-target.js';

const PARTITIONS = 4;

/**
 * The raw loop over the memory broker's own API, as in the `embedded`
 * scenario: fetch up to 1,000 records per partition, decode each, await the
 * handler with a message object, commit; when a pass over the partitions
 * found nothing, wait one event-loop turn (`setImmediate`).
 */
function rawLoop(
  broker: MemoryBroker,
  topic: string,
  group: string,
  handler: (m: Message) => Promise<void>,
): () => Promise<void> {
  let running = true;
  const done = (async () => {
    while (running) {
      let found = 0;
      for (let p = 0; p < PARTITIONS; p++) found += await rawMemoryPass(broker, group, topic, p, handler);
      if (found === 0) await new Promise((r) => setImmediate(r));
    }
  })();
  return async () => {
    running = false;
    await done;
  };
}

/** The embedded broker (4 partitions): partita on `memoryTransport` with the handler's defaults (key ordering). */
export function embeddedTarget(): LatencyTarget {
  const broker = createMemoryBroker({ defaultPartitions: PARTITIONS, maxBytes: 2 ** 31 });
  return {
    name: 'embedded',
    saturation: { batch: 1000, window: 50_000 },
    probe: () => Promise.resolve(),
    async phase(side, handle): Promise<LatencyPhase> {
      const topic = `lat-${runId()}`;
      const group = `g-${side}`;
      broker.createTopic(topic, { partitions: PARTITIONS });
      const publish = (records: readonly OutboundRecord[]): Promise<void> => broker.publish(records);
      // Both sides call the very same (async) handler function.
      // eslint-disable-next-line @typescript-eslint/require-await -- measured as it is written: an async handler
      const handler = async (m: Message): Promise<void> => handle(m.value as Stamp);
      if (side === 'raw') {
        for (let p = 0; p < PARTITIONS; p++) broker.commit({ group, topic, partition: p, offset: 0 });
        const stop = rawLoop(broker, topic, group, handler);
        return { topic, publish, close: stop };
      }
      const app = createApp({
        transport: memoryTransport(broker),
        logger: quiet,
        handlers: [defineHandler({ name: group, topic, handle: handler })],
      });
      await app.start();
      return { topic, publish, close: () => app.stop() };
    },
    close: () => broker.close(),
  };
}
