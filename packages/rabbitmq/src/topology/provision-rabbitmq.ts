import { ComponentLogger, validateTopicName } from '@partita/core';
import { RabbitConnection } from '../connection/rabbit-connection.js';
import {
  rabbitSecrets,
  resolveRabbitMqOptions,
  type RabbitMqTransportOptions,
} from '../options/rabbitmq-transport-options.js';
import { registryQueue, TopologyRegistry } from '../admin/topology-registry.js';
import { Topology } from './topology.js';

/** Quorum delivery limit above the runtime's attempts: hand-backs at stop or revocation also count. */
export const DELIVERY_LIMIT_MARGIN = 20;

/** The `x-delivery-limit` of a group's partition queues. */
export function deliveryLimitFor(explicit: number | undefined, maxAttempts: number): number {
  return explicit ?? maxAttempts + DELIVERY_LIMIT_MARGIN;
}

/** A topic and the consumer groups whose queues should exist before anything is published. */
export interface RabbitMqGroupDeclaration {
  readonly topic: string;
  readonly groups: readonly string[];
  /** The handlers' `retry.maxAttempts`, from which the delivery limit derives (unless `deliveryLimit` is set). @defaultValue 5 */
  readonly maxAttempts?: number;
}

/**
 * Declare topics and their groups' partition queues ahead of time, with the
 * same arguments the transport uses when a group subscribes. RabbitMQ routes
 * a record only to queues that exist when it is published: records published
 * before a group's first subscription go to the topic's `.unrouted` queue,
 * not to that group. Deployments that start publishers first call this (or
 * subscribe the groups) first.
 */
export async function provisionRabbitMq(
  options: RabbitMqTransportOptions,
  declarations: readonly RabbitMqGroupDeclaration[],
): Promise<void> {
  const o = resolveRabbitMqOptions(options);
  const logs = new ComponentLogger('provisionRabbitMq', 'rabbitmq', options.logger, { secrets: rabbitSecrets(o) });
  const conn = new RabbitConnection(o, logs.logger);
  try {
    await conn.ready();
    const topology = new Topology(conn, o, o.declare ? new TopologyRegistry(conn, registryQueue(o)) : undefined);
    for (const d of declarations) {
      validateTopicName(d.topic, { broker: 'RabbitMQ', maxBytes: 200 });
      await topology.ensureTopic(d.topic);
      for (const g of d.groups)
        await topology.ensureGroup(d.topic, g, deliveryLimitFor(o.deliveryLimit, d.maxAttempts ?? 5));
    }
  } finally {
    await conn.close();
  }
}
