// A plain kafkajs producer and consumer for the Kafka integration tests: they
// write and read records byte for byte, as a non-partita client would.
import kafkajs from 'kafkajs';
import type { Consumer, IHeaders, KafkaMessage, Message, Producer } from 'kafkajs';
import { brokers, unique } from './kafka-test-env.js';

const { Kafka, logLevel } = kafkajs;

/** One record as read by {@link rawReader}, with its bytes untouched. */
export interface RawRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders;
}

const client = () => new Kafka({ brokers, clientId: unique('raw'), logLevel: logLevel.NOTHING });

/** A connected kafkajs producer (`close()` disconnects it). */
export async function rawProducer(): Promise<{
  send(topic: string, messages: Message[]): Promise<void>;
  close(): Promise<void>;
}> {
  const producer: Producer = client().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  return {
    send: async (topic, messages) => {
      await producer.send({ topic, messages, acks: -1 });
    },
    close: () => producer.disconnect(),
  };
}

/** A kafkajs consumer in a fresh group reading `topics` from the beginning; `records` fills as they arrive. */
export async function rawReader(topics: readonly string[]): Promise<{ records: RawRecord[]; close(): Promise<void> }> {
  const consumer: Consumer = client().consumer({
    groupId: unique('raw-g'),
    maxWaitTimeInMs: 200,
    allowAutoTopicCreation: false,
  });
  const records: RawRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }: { topic: string; partition: number; message: KafkaMessage }) => {
      records.push({
        topic,
        partition,
        offset: message.offset,
        key: message.key,
        value: message.value,
        headers: message.headers ?? {},
      });
    },
  });
  return { records, close: () => consumer.disconnect() };
}

/** A header value as bytes (kafkajs hands header values as Buffers; repeated headers keep the last). */
export function headerBytes(headers: IHeaders, name: string): Buffer | undefined {
  const v = headers[name];
  const last = Array.isArray(v) ? v[v.length - 1] : v;
  return last === undefined ? undefined : Buffer.from(last);
}

/** A header value as text. */
export const headerText = (headers: IHeaders, name: string): string | undefined =>
  headerBytes(headers, name)?.toString('utf8');
