import kafkajs from 'kafkajs';
import type { Transport } from '@partita/core';
import { kafkaTransport } from '@partita/kafka';
import { decodeStamp, runId, type LatencyPhase, type LatencyTarget } from '../latency-target.js';
import { partitaPhase } from './partita-phase.js';

const { Kafka, logLevel } = kafkajs;
const PARTITIONS = 4;

/**
 * Kafka at PARTITA_KAFKA_BROKERS (default 127.0.0.1:19092; `npm run kafka -- start`), 4 partitions.
 * raw: kafkajs `eachBatch`, the value decoded and handed to the handler, offsets committed per batch
 * (the `kafka` scenario's baseline); partita: `kafkaTransport` with the handler's defaults. Both fetch
 * with a 100 ms maximum wait.
 */
export function kafkaTarget(): LatencyTarget {
  const brokers = (process.env.PARTITA_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'bench-latency', retry: { retries: 1 } });
  const admin = kafka.admin();
  const options = {
    brokers,
    clientId: 'bench-latency',
    provisionTopics: false,
    retryTiersMs: [],
    dlqSuffix: false as const,
    maxWaitTimeMs: 100,
  };
  let producer: Transport | undefined;
  // Deleted at the end: kafkajs' producer keeps asking for the metadata of every topic it published
  // to, and one deleted under it fails the metadata of the next.
  const topics: string[] = [];
  return {
    name: 'kafka',
    saturation: { batch: 500, window: 20_000 },
    async probe() {
      await admin.connect();
      producer = kafkaTransport(options);
      await producer.connect();
    },
    async phase(side, handle): Promise<LatencyPhase> {
      const topic = `bench-lat-${runId()}`;
      const group = `bench-lat-${side}-${runId()}`;
      await admin.createTopics({
        topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      topics.push(topic);
      const publish = producer!.publish.bind(producer);
      if (side === 'raw') {
        const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100 });
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async (payload) => {
            const { batch } = payload;
            for (const m of batch.messages) {
              handle(decodeStamp(m.value!));
              payload.resolveOffset(m.offset);
            }
            await consumer.commitOffsets([
              { topic, partition: batch.partition, offset: String(BigInt(batch.lastOffset()) + 1n) },
            ]);
          },
        });
        await joined;
        return { topic, publish, close: () => consumer.disconnect() };
      }
      return partitaPhase({
        transport: kafkaTransport(options),
        topic,
        group,
        handle,
        publish,
        lanes: PARTITIONS,
        handler: { deadLetter: false },
      });
    },
    async close() {
      await producer?.close();
      if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}
