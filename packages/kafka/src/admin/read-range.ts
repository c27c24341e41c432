import { ConfigError, type ReadOptions } from '@partita/core';

/** One partition's offsets as the broker reports them. */
export interface PartitionOffsets {
  readonly partition: number;
  /** First retained offset. */
  readonly low: string;
  /** One past the last record. */
  readonly high: string;
}

/** What to read from one partition: offsets `start` (inclusive) to `end` (exclusive), at most `limit` records. */
export interface PartitionRange {
  readonly partition: number;
  readonly start: bigint;
  readonly end: bigint;
}

/** The `limit` of a read (default 100), validated. */
export function readLimit(options: ReadOptions): number {
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1)
    throw new ConfigError(`read: option "limit" must be a positive integer (got ${String(limit)})`);
  return limit;
}

/**
 * The ranges a read covers, one per wanted partition that has records in it.
 * `from`: `earliest` (the first retained record), `latest` (the end: nothing
 * yet), or an offset (inclusive; below the retained start it starts there).
 */
export function readRanges(
  topic: string,
  offsets: readonly PartitionOffsets[],
  options: ReadOptions,
): PartitionRange[] {
  const from = options.from ?? 'earliest';
  if (from !== 'earliest' && from !== 'latest' && !/^\d+$/.test(from))
    throw new ConfigError(
      `read "${topic}": option "from" must be "earliest", "latest" or an offset (a non-negative integer), got ${JSON.stringify(from)}`,
    );
  if (options.partition !== undefined && !offsets.some((o) => o.partition === options.partition))
    throw new ConfigError(
      `read "${topic}": partition ${options.partition} does not exist; the topic has partitions 0 to ${offsets.length - 1}`,
    );
  const ranges: PartitionRange[] = [];
  for (const o of [...offsets].sort((a, b) => a.partition - b.partition)) {
    if (options.partition !== undefined && o.partition !== options.partition) continue;
    const low = BigInt(o.low);
    const end = BigInt(o.high);
    let start: bigint;
    if (from === 'earliest') start = low;
    else if (from === 'latest') start = end;
    else start = BigInt(from);
    if (start < low) start = low;
    if (start < end) ranges.push({ partition: o.partition, start, end });
  }
  return ranges;
}
