import { recordId, TopicNotFoundError, type BrowsedRecord } from '@partita/core';
import type { Backend } from '../../backend/backend.js';

/**
 * Every record of `topic`, partition by partition, a page at a time
 * (`from` is inclusive, so each page drops what was already seen).
 */
export async function* scanTopic(backend: Backend, topic: string, pageSize = 500): AsyncGenerator<BrowsedRecord> {
  const info = (await backend.topics()).find((t) => t.name === topic);
  if (info === undefined) throw new TopicNotFoundError(topic);
  for (let partition = 0; partition < info.partitions; partition++) {
    const seen = new Set<string>();
    let from = 'earliest';
    for (;;) {
      const page = (await backend.read(topic, { from, partition, limit: pageSize })).filter(
        (r) => !seen.has(recordId(r)),
      );
      if (page.length === 0) break;
      for (const r of page) {
        seen.add(recordId(r));
        yield r;
      }
      from = page.at(-1)!.position;
    }
  }
}
