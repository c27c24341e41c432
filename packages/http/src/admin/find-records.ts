import {
  TopicNotFoundError,
  matchesDeadLetter,
  recordId,
  type BrowsedRecord,
  type DeadLetterFilter,
  type ReadOptions,
  type TransportAdmin,
} from '@partita/core';

/** Most records one filtered search reads from the broker before it answers with what it found. */
export const MAX_SCANNED = 20_000;
const PAGE = 500;

export interface FoundRecords {
  readonly records: readonly BrowsedRecord[];
  /** Records read from the broker to find them. */
  readonly scanned: number;
  /** False when the search stopped at {@link MAX_SCANNED} before the end of the topic. */
  readonly complete: boolean;
}

/**
 * Records of `topic` as `read` asks; with a filter, only dead letters that
 * match it (core's `matchesDeadLetter`), searched partition by partition a
 * page at a time from `read.from` until `read.limit` match, the topic ends,
 * or {@link MAX_SCANNED} records were read.
 */
export async function findRecords(
  admin: TransportAdmin,
  topic: string,
  read: ReadOptions,
  filter: DeadLetterFilter,
): Promise<FoundRecords> {
  const limit = read.limit ?? 100;
  if (Object.keys(filter).length === 0) {
    const records = await admin.read(topic, read);
    return { records, scanned: records.length, complete: true };
  }
  const info = (await admin.topics()).find((t) => t.name === topic);
  if (info === undefined) throw new TopicNotFoundError(topic);
  const partitions =
    read.partition !== undefined ? [read.partition] : Array.from({ length: info.partitions }, (_, i) => i);
  const found: BrowsedRecord[] = [];
  let scanned = 0;
  for (const partition of partitions) {
    const seen = new Set<string>();
    let from = read.from ?? 'earliest';
    for (;;) {
      if (found.length >= limit) return { records: found, scanned, complete: true };
      if (scanned >= MAX_SCANNED) return { records: found, scanned, complete: false };
      const page = await admin.read(topic, { from, partition, limit: PAGE });
      const fresh = page.filter((r) => !seen.has(recordId(r)));
      if (fresh.length === 0) break;
      scanned += fresh.length;
      for (const r of fresh) {
        seen.add(recordId(r));
        if (found.length < limit && matchesDeadLetter(r, filter)) found.push(r);
      }
      from = fresh[fresh.length - 1]!.position;
    }
  }
  return { records: found, scanned, complete: true };
}
