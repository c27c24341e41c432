import type { MemoryBrokerOptions } from '../options/broker-options.js';
import { FileStore } from '../durable/file-store.js';
import { MemoryBroker } from './memory-broker.js';

/**
 * Create an embedded broker. In memory by default; with `dataDir` it is
 * durable (segment files, indexes, group offsets, recovery on open).
 * Throws TypeError/RangeError naming a bad option.
 */
export function createMemoryBroker(options: MemoryBrokerOptions = {}): MemoryBroker {
  return new MemoryBroker(options, (o) => new FileStore(o));
}
