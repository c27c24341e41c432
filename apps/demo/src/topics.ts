/**
 * Topic and group names of the demo. `DEMO_TOPIC_PREFIX` (default none) puts
 * every topic and consumer group of a run under its own names, so runs on a
 * shared broker (Kafka, NATS, ...) never see each other's orders.
 */
const prefix = process.env.DEMO_TOPIC_PREFIX ?? '';

export const topics = {
  orders: `${prefix}orders`,
  validated: `${prefix}orders.validated`,
} as const;

/** The consumer group of handler `name`: its name (the default) unless a prefix is set. */
export function groupOf(name: string): { group?: string } {
  return prefix ? { group: `${prefix}${name}` } : {};
}
