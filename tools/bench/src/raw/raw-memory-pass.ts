import { jsonCodec, type Message } from '@partita/core';
import type { MemoryBroker } from '@partita/memory';

/**
 * One pass of the raw loop over the memory broker that partita is measured
 * against: fetch up to 1,000 records of a partition, decode each with the JSON
 * codec, await the handler per message, commit after the batch. Returns the
 * records handled (0 when the partition had nothing).
 */
export async function rawMemoryPass(
  broker: MemoryBroker,
  group: string,
  topic: string,
  partition: number,
  handler: (m: Message) => Promise<void>,
): Promise<number> {
  const records = broker.fetch({ group, topic, partition, max: 1000 });
  if (records.length === 0) return 0;
  for (const r of records) {
    const value = jsonCodec.decode(r.value!);
    await handler({
      id: `${topic}/${partition}/${r.offset}`,
      topic,
      key: r.key,
      value,
      headers: r.headers,
      partition,
      offset: r.offset,
      timestamp: r.timestamp,
      attempt: 1,
    });
  }
  broker.commit({ group, topic, partition, offset: Number(records[records.length - 1]!.offset) + 1 });
  return records.length;
}
