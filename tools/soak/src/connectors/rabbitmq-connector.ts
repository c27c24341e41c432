import amqp from 'amqplib';
import { provisionRabbitMq, rabbitmqTransport } from '@partita/rabbitmq';
import type { SoakConnector } from './soak-connector.js';

export const RABBITMQ_URL_ENV = 'PARTITA_RABBITMQ_URL';
const DEFAULT_URL = 'amqp://guest:guest@127.0.0.1:5672';
const PARTITIONS = 8;
/** Fixed, so the runner's declaration and every member's agree whatever the handler's maxAttempts. */
const DELIVERY_LIMIT = 100;

/**
 * RabbitMQ: members are processes, each consuming all 8 partition quorum
 * queues of the group (single active consumer each). A killed member's
 * connection dies at once (the kernel closes its socket), so the broker
 * returns its unacked records and activates the next member right away.
 * Hand-overs (graceful stops, the balance step) drain first, so duplicates
 * come only from killed members, and a key's order holds across members.
 */
export const rabbitmqConnector: SoakConnector = {
  name: 'rabbitmq',
  members: 'processes',
  rebalanceDuplicates: false,
  keyOrderAcrossMembers: true,
  handler: { maxInFlight: 32, timeoutMs: 5_000 },
  async open(names, env) {
    const url = env[RABBITMQ_URL_ENV] ?? DEFAULT_URL;
    // The group's queues exist before the producer publishes (RabbitMQ keeps nothing for a group not yet there).
    await provisionRabbitMq({ url, partitions: PARTITIONS, deliveryLimit: DELIVERY_LIMIT }, [
      { topic: names.topic, groups: [names.group] },
    ]);
    return {
      env: { [RABBITMQ_URL_ENV]: url },
      transport: (name) =>
        rabbitmqTransport({
          url,
          name,
          partitions: PARTITIONS,
          deliveryLimit: DELIVERY_LIMIT,
          rebalanceIntervalMs: 250,
          probeIntervalMs: 1000,
          reconnectTimeMs: 200,
          // The shared machine's broker can stall a quorum write for seconds under load; a producer
          // publish that times out ends the soak, so wait longer than the default 10 s.
          publishTimeoutMs: 60_000,
        }),
      async close() {
        // Delete what the run created (AMQP cannot list queues: the names are known).
        const conn = await amqp.connect(url);
        try {
          const { topic, group } = names;
          const queues = [`${topic}.unrouted`, `${topic}.dlq`, `${topic}.dlq.unrouted`, `${topic}.${group}.members`];
          for (let p = 0; p < PARTITIONS; p++) queues.push(`${topic}.${group}.${p}`);
          const exchanges = [topic, `${topic}.unrouted`, `${topic}.wait`, `${topic}.dlq`, `${topic}.dlq.unrouted`];
          for (const q of queues) await drop(conn, (ch) => ch.deleteQueue(q));
          for (const x of exchanges) await drop(conn, (ch) => ch.deleteExchange(x));
        } finally {
          await conn.close().catch(() => undefined);
        }
      },
    };
  },
};

/** Run one deletion on a channel of its own (a failure closes only that channel). */
async function drop(conn: amqp.ChannelModel, fn: (ch: amqp.Channel) => Promise<unknown>): Promise<void> {
  const ch = await conn.createChannel();
  ch.on('error', () => undefined);
  await fn(ch).catch(() => undefined);
  await ch.close().catch(() => undefined);
}
