/**
 * BEFORE: a plain KafkaJS consumer. `node dist/before.js` (Kafka on KAFKA_BROKERS).
 *
 * What it gives: one message per partition at a time, in partition order;
 * offsets auto-committed on a timer, so a crash can commit past a message
 * still being handled (it is lost) or replay handled ones. A throw makes
 * KafkaJS retry the batch in place: a poison order blocks its partition until
 * the retries run out, then the consumer crashes and restarts on it again.
 */
import { Kafka, logLevel } from 'kafkajs';
import { BROKERS, chargeOrder, GROUP, ORDERS, orders, TOPIC, type Order } from './charge.js';

const kafka = new Kafka({ clientId: 'billing', brokers: BROKERS, logLevel: logLevel.NOTHING });
// Create the topic first (KafkaJS' producer does not wait for an auto-created topic's leaders).
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 4 }], waitForLeaders: true });
await admin.disconnect();

const producer = kafka.producer();
await producer.connect();
await producer.send({
  topic: TOPIC,
  messages: orders(ORDERS).map((o) => ({ key: o.customer, value: JSON.stringify(o) })),
});
await producer.disconnect();

let handled = 0;
let failed = 0;
const consumer = kafka.consumer({ groupId: GROUP });
await consumer.connect();
await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
await consumer.run({
  eachMessage: async ({ message }) => {
    try {
      await chargeOrder(JSON.parse(message.value!.toString()) as Order);
      handled++;
    } catch (err) {
      // No dead-letter topic: log and skip (the order is gone), or rethrow and block the partition.
      failed++;
      console.error(`skipped: ${(err as Error).message}`);
    }
    if (handled + failed === ORDERS) {
      console.log(`before (kafkajs): ${handled} charged, ${failed} skipped (logged, not kept anywhere)`);
      setImmediate(() => void consumer.disconnect());
    }
  },
});
