import amqp from 'amqplib';
import type { Transport } from '@partita/core';
import { provisionRabbitMq, rabbitmqTransport } from '@partita/rabbitmq';
import { decodeStamp, runId, type LatencyPhase, type LatencyTarget } from '../latency-target.js';
import { partitaPhase } from './partita-phase.js';

/** Fixed so that every side's queue is declared alike. */
const DELIVERY_LIMIT = 100;
/** The raw consumer's prefetch: partita's default `maxInFlight`. */
const PREFETCH = 64;

/**
 * RabbitMQ at PARTITA_RABBITMQ_URL (default amqp://guest:guest@127.0.0.1:5672), the group's quorum
 * queue as partita provisions it. raw: an amqplib consumer with prefetch 64, decode, handle, one ack
 * per message (the `rabbitmq` scenario's baseline); partita: `rabbitmqTransport` with the handler's
 * defaults (maxInFlight 64).
 */
export function rabbitmqTarget(): LatencyTarget {
  const url = process.env.PARTITA_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  let conn: amqp.ChannelModel | undefined;
  let producer: Transport | undefined;
  const cleanup = async (topic: string, group: string): Promise<void> => {
    const drop = async (fn: (ch: amqp.Channel) => Promise<unknown>): Promise<void> => {
      const ch = await conn!.createChannel();
      ch.on('error', () => undefined);
      await fn(ch).catch(() => undefined);
      await ch.close().catch(() => undefined);
    };
    for (const q of [
      `${topic}.unrouted`,
      `${topic}.dlq`,
      `${topic}.dlq.unrouted`,
      `${topic}.${group}.0`,
      `${topic}.${group}.members`,
    ])
      await drop((ch) => ch.deleteQueue(q));
    for (const x of [topic, `${topic}.unrouted`, `${topic}.wait`, `${topic}.dlq`, `${topic}.dlq.unrouted`])
      await drop((ch) => ch.deleteExchange(x));
  };
  return {
    name: 'rabbitmq',
    saturation: { batch: 200, window: 5_000 },
    async probe() {
      conn = await amqp.connect(url);
      producer = rabbitmqTransport({ url, name: 'bench-latency', deliveryLimit: DELIVERY_LIMIT });
      await producer.connect();
    },
    async phase(side, handle): Promise<LatencyPhase> {
      const topic = `bench.lat.${runId()}`;
      const group = `lat_${side}`;
      await provisionRabbitMq({ url, deliveryLimit: DELIVERY_LIMIT }, [{ topic, groups: [group] }]);
      const publish = producer!.publish.bind(producer);
      if (side === 'raw') {
        const ch = await conn!.createChannel();
        await ch.prefetch(PREFETCH);
        const { consumerTag } = await ch.consume(`${topic}.${group}.0`, (m) => {
          if (!m) return;
          handle(decodeStamp(m.content));
          ch.ack(m);
        });
        return {
          topic,
          publish,
          async close() {
            await ch.cancel(consumerTag);
            await ch.close();
            await cleanup(topic, group);
          },
        };
      }
      return partitaPhase({
        transport: rabbitmqTransport({ url, name: 'bench-latency', deliveryLimit: DELIVERY_LIMIT }),
        topic,
        group,
        handle,
        publish,
        cleanup: () => cleanup(topic, group),
      });
    },
    async close() {
      await producer?.close();
      await conn?.close();
    },
  };
}
