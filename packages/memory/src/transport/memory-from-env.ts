import { envReader, type Env, type Transport } from '@partita/core';
import { createMemoryBroker } from '../broker/create-memory-broker.js';
import type { MemoryBroker } from '../broker/memory-broker.js';
import { memoryTransport } from './memory-transport.js';

/** One broker per distinct setting, shared by every app of the process that asks for it. */
const shared = new Map<string, MemoryBroker>();

/**
 * `PARTITA_TRANSPORT=memory`: a transport over one broker shared by every app
 * of the process with the same settings (so several apps form consumer groups
 * together); different settings get their own broker, so each variable applies.
 * `PARTITA_MEMORY_PARTITIONS` (default 1), `PARTITA_MEMORY_DATA_DIR` (durable
 * mode when set), `PARTITA_MEMORY_FSYNC` (`always` | `interval` | `never`).
 */
export function transportFromEnv(env: Env = process.env): Transport {
  const r = envReader(env);
  const defaultPartitions = r.int('PARTITA_MEMORY_PARTITIONS', 1, 10_000) ?? 1;
  const dataDir = r.string('PARTITA_MEMORY_DATA_DIR');
  const fsync = r.oneOf('PARTITA_MEMORY_FSYNC', ['always', 'interval', 'never'] as const);
  const options = { defaultPartitions, ...(dataDir ? { dataDir } : {}), ...(fsync ? { fsync } : {}) };
  const key = JSON.stringify(options);
  let broker = shared.get(key);
  if (!broker || broker.isClosed) shared.set(key, (broker = createMemoryBroker(options)));
  return memoryTransport(broker);
}
