import { ConfigError } from '@partita/core';
import { kafkaConnector } from './kafka-connector.js';
import { memoryConnector } from './memory-connector.js';
import { natsConnector } from './nats-connector.js';
import { rabbitmqConnector } from './rabbitmq-connector.js';
import { sqsConnector } from './sqs-connector.js';
import { redisConnector } from './redis-connector.js';
import type { SoakConnector } from './soak-connector.js';

/** Every connector the soak knows, by name. A new connector adds one line here. */
export const soakConnectors: Readonly<Record<string, SoakConnector>> = {
  memory: memoryConnector,
  kafka: kafkaConnector,
  nats: natsConnector,
  rabbitmq: rabbitmqConnector,
  sqs: sqsConnector,
  redis: redisConnector,
};

/** The connector called `name`, or a `ConfigError` listing the known ones. */
export function soakConnector(name: string): SoakConnector {
  const c = Object.hasOwn(soakConnectors, name) ? soakConnectors[name] : undefined;
  if (!c)
    throw new ConfigError(
      `soak: unknown connector '${name}'; expected one of ${Object.keys(soakConnectors).join(', ')}`,
    );
  return c;
}
