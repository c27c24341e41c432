import amqp from 'amqplib';
import type { Subscription, SubscriptionSink, SubscriptionSpec, Transport } from '@partita/core';
import { brokersRequired, REQUIRE_BROKERS_ENV, tcpReachable } from '@partita/testing';

export const RABBITMQ_URL = process.env.PARTITA_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const url = new URL(RABBITMQ_URL);
export const RABBITMQ_TARGET = { host: url.hostname, port: Number(url.port || 5672) };

/** Whether the machine's RabbitMQ answers; prints why tests skip, throws when brokers are required. */
export async function rabbitAvailable(): Promise<boolean> {
  const verdict = await tcpReachable(RABBITMQ_TARGET);
  if (verdict === true) return true;
  const msg = `RabbitMQ not reachable at ${RABBITMQ_TARGET.host}:${RABBITMQ_TARGET.port}: ${verdict}`;
  if (brokersRequired()) throw new Error(`${msg} and ${REQUIRE_BROKERS_ENV}=${process.env[REQUIRE_BROKERS_ENV]}`);
  console.warn(`skipping RabbitMQ integration tests: ${msg}`);
  return false;
}

/**
 * What tests created on the shared broker, so they can delete it: every
 * (topic, group) a tracked transport subscribed, and every topic published to.
 * AMQP cannot list queues, so names are recorded as they are made.
 */
export class RabbitNames {
  readonly topics = new Set<string>();
  readonly groups = new Map<string, Set<string>>();

  constructor(
    readonly partitions: number,
    readonly dlqSuffix = '.dlq',
    /** The transports' `prefix` option. */
    readonly prefix = '',
  ) {}

  /** A transport that records what it subscribes and publishes (its `admin`, if any, is kept). */
  track<T extends Transport>(t: T): T {
    return {
      ...('admin' in t ? { admin: t.admin } : {}),
      name: t.name,
      capabilities: t.capabilities,
      attach: (context) => t.attach?.(context),
      connect: () => t.connect(),
      publish: (records) => {
        for (const r of records) this.topics.add(r.topic);
        return t.publish(records);
      },
      subscribe: (spec: SubscriptionSpec, sink: SubscriptionSink): Promise<Subscription> => {
        this.topics.add(spec.topic);
        if (!this.groups.has(spec.topic)) this.groups.set(spec.topic, new Set());
        this.groups.get(spec.topic)!.add(spec.group);
        return t.subscribe(spec, sink);
      },
      health: () => t.health(),
      close: () => t.close(),
    } as T;
  }

  /** Delete every queue and exchange recorded (and those derived from them). Best effort. */
  async deleteAll(topics: Iterable<string> = this.topics): Promise<void> {
    const conn = await amqp.connect(RABBITMQ_URL);
    try {
      const all = new Set<string>();
      for (const t of topics)
        for (const d of [t, `${t}${this.dlqSuffix}`, `${t}${this.dlqSuffix}${this.dlqSuffix}`]) all.add(d);
      for (const t of all) {
        const queues = [`${t}.unrouted`, `${t}${this.dlqSuffix}`];
        for (const g of this.groups.get(t) ?? []) {
          queues.push(`${t}.${g}.members`);
          for (let p = 0; p < this.partitions; p++) queues.push(`${t}.${g}.${p}`);
        }
        const exchanges = [t, `${t}.unrouted`, `${t}.wait`];
        for (const q of queues) await withChannel(conn, (ch) => ch.deleteQueue(`${this.prefix}${q}`));
        for (const x of exchanges) await withChannel(conn, (ch) => ch.deleteExchange(`${this.prefix}${x}`));
      }
      // the topology registry of a prefix of its own (see TopologyRegistry)
      if (this.prefix !== '') await withChannel(conn, (ch) => ch.deleteQueue(`${this.prefix}partita.admin.registry`));
    } finally {
      await conn.close().catch(() => undefined);
    }
  }
}

/** Run `fn` on a fresh channel (a channel error closes only that channel); errors are ignored. */
export async function withChannel<T>(
  conn: amqp.ChannelModel,
  fn: (ch: amqp.Channel) => Promise<T>,
): Promise<T | undefined> {
  const ch = await conn.createChannel();
  ch.on('error', () => undefined);
  try {
    return await fn(ch);
  } catch {
    return undefined;
  } finally {
    await ch.close().catch(() => undefined);
  }
}
