export { MemoryBroker } from './broker/memory-broker.js';
export { createMemoryBroker } from './broker/create-memory-broker.js';
export type {
  PublishRecord,
  FetchRequest,
  CommitRequest,
  SeekRequest,
  BrokerStats,
  TopicStats,
  PartitionStats,
  GroupStats,
  GroupPartitionStats,
} from './broker/broker-types.js';
export type { MemoryBrokerOptions, TopicOptions } from './options/broker-options.js';
export type { StoredRecord } from './log/stored-record.js';
export type { CommittedOffset } from './group/group-coordinator.js';
export type { DeadLetterStats } from './dead-letter/dead-letter-store.js';
/** Re-exported from `@partita/core`, where the key hash now lives (kept for compatibility). */
export { partitionForKey } from '@partita/core';
export { memoryTransport } from './transport/memory-transport.js';
export type { MemoryAdmin } from './admin/memory-admin.js';
export type { MemoryTransportOptions } from './transport/memory-transport.js';
export type { Transaction } from './transaction/transaction.js';
export type { QueueConsumer, QueueMessage, QueueOptions } from './queue/queue-consumer.js';
export { transportFromEnv } from './transport/memory-from-env.js';
