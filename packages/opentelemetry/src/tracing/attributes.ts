/**
 * Attribute names of the OpenTelemetry messaging semantic conventions that
 * partita sets (kept here rather than importing @opentelemetry/semantic-conventions,
 * whose messaging names are still "incubating"), and partita's own.
 */
export const ATTR = {
  system: 'messaging.system',
  destination: 'messaging.destination.name',
  group: 'messaging.consumer.group.name',
  partition: 'messaging.destination.partition.id',
  messageId: 'messaging.message.id',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  batchCount: 'messaging.batch.message_count',
  kafkaOffset: 'messaging.kafka.offset',
  /** The broker position on brokers the conventions have no offset attribute for (NATS sequence, memory offset). */
  offset: 'messaging.partita.offset',
  errorType: 'error.type',
  handler: 'partita.handler',
  attempt: 'partita.attempt',
} as const;

/** `error.type`: the error's class name (`TimeoutError`, `NonRetryableError`), else `_OTHER`. */
export function errorType(error: unknown): string {
  if (error instanceof Error && error.name) return error.name;
  const name = (error as { constructor?: { name?: string } } | null | undefined)?.constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? name : '_OTHER';
}
