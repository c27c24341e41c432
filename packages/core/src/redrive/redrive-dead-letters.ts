import { DLQ_HEADERS } from '../dead-letter/dead-letter-record.js';
import { ConfigError, TopicNotFoundError } from '../errors/partita-error.js';
import { RETRY_HEADERS } from '../retry/retry-headers.js';
import type { BrowsedRecord, TransportAdmin } from '../transport/transport-admin.js';
import type { OutboundRecord, Transport } from '../transport/transport.js';

/** Which dead letters to pick. Every field given must match. */
export interface DeadLetterFilter {
  /** `partita-dead-letter-reason` (`retries-exhausted`, `non-retryable`, `decode`, `timeout`, …). */
  readonly reason?: string;
  /** `partita-error-name` (the thrown error's `name`). */
  readonly errorName?: string;
  /** The original record's key. */
  readonly key?: string;
  /** The group that dead-lettered it. */
  readonly group?: string;
  /** Failed at or after this time (ms since epoch). */
  readonly since?: number;
  /** Failed before this time (ms since epoch). */
  readonly until?: number;
}

export interface RedriveOptions {
  /** The dead-letter topic to read from. */
  readonly topic: string;
  /** Only these records, as `<partition>:<position>`; default every record that matches `filter`. */
  readonly ids?: readonly string[];
  readonly filter?: DeadLetterFilter;
  /** Say what would be redriven, publish nothing. */
  readonly dryRun?: boolean;
  /** At most this many records per second (default: no limit). */
  readonly ratePerSec?: number;
  /** Records read per page from the dead-letter topic (default 500). */
  readonly pageSize?: number;
  readonly signal?: AbortSignal;
  /** Called after each published batch (and once at the start with `done: 0`). */
  readonly onProgress?: (progress: { readonly done: number; readonly total: number }) => void;
}

/** One dead letter and where its redrive goes. */
export interface RedrivePlanItem {
  /** `<partition>:<position>` in the dead-letter topic. */
  readonly id: string;
  /** The topic the record first failed on. */
  readonly topic: string;
  /** The only group that will handle the redriven copy. */
  readonly group: string;
  readonly key: string | undefined;
  readonly reason: string | undefined;
}

export interface RedriveReport {
  readonly dryRun: boolean;
  /** Records that matched (and were redriven unless `dryRun`). */
  readonly matched: number;
  /** Records published back (0 on a dry run). */
  readonly redriven: number;
  /** Matched records per failing group. */
  readonly byGroup: Readonly<Record<string, number>>;
  readonly plan: readonly RedrivePlanItem[];
}

/** `<partition>:<position>`: how the CLI, the dashboard and {@link RedriveOptions.ids} name a browsed record. */
export function recordId(record: Pick<BrowsedRecord, 'partition' | 'position'>): string {
  return `${record.partition}:${record.position}`;
}

/** Whether a dead-letter record matches every field of `filter`. */
export function matchesDeadLetter(record: BrowsedRecord, filter: DeadLetterFilter = {}): boolean {
  const h = record.headers;
  if (filter.reason !== undefined && h[DLQ_HEADERS.reason] !== filter.reason) return false;
  if (filter.errorName !== undefined && h[DLQ_HEADERS.errorName] !== filter.errorName) return false;
  if (filter.group !== undefined && h[DLQ_HEADERS.group] !== filter.group) return false;
  const key = h[DLQ_HEADERS.key] ?? record.key;
  if (filter.key !== undefined && key !== filter.key) return false;
  if (filter.since !== undefined || filter.until !== undefined) {
    const at = Date.parse(h[DLQ_HEADERS.failedAt] ?? '') || record.timestamp;
    if (filter.since !== undefined && at < filter.since) return false;
    if (filter.until !== undefined && at >= filter.until) return false;
  }
  return true;
}

/**
 * The copy a redrive publishes: the original topic and key, the value and the
 * user's headers unchanged, the `partita-original-*` headers kept (so a second
 * failure still names the first position), the failure headers dropped, and
 * `partita-target-group` set so only the group that failed it handles it.
 */
export function redriveCopy(record: BrowsedRecord): OutboundRecord {
  const h = record.headers;
  const topic = h[DLQ_HEADERS.topic];
  const group = h[DLQ_HEADERS.group];
  if (topic === undefined || group === undefined)
    throw new ConfigError(
      `redrive: record ${recordId(record)} of "${record.topic}" has no ${DLQ_HEADERS.topic}/${DLQ_HEADERS.group} header, so it is not a partita dead letter; pick a dead-letter topic (the handler's topic with its dlqSuffix)`,
    );
  const headers: Record<string, string> = {};
  const dropped = new Set<string>([
    DLQ_HEADERS.attempts,
    DLQ_HEADERS.errorName,
    DLQ_HEADERS.errorMessage,
    DLQ_HEADERS.errorStack,
    DLQ_HEADERS.failedAt,
    DLQ_HEADERS.handler,
    DLQ_HEADERS.group,
    DLQ_HEADERS.reason,
    RETRY_HEADERS.attempt,
  ]);
  for (const [name, value] of Object.entries(h)) if (!dropped.has(name)) headers[name] = value;
  headers[RETRY_HEADERS.targetGroup] = group;
  const key = h[DLQ_HEADERS.key] ?? record.key;
  return {
    topic,
    ...(key !== undefined ? { key } : {}),
    value: record.value,
    headers,
    ...(record.raw !== undefined ? { raw: record.raw } : {}),
  };
}

/**
 * Every record of `topic`, partition by partition, a page at a time. `from` is
 * inclusive, so every page after the first starts at the last record seen:
 * it reads `pageSize + 1` and drops what was seen, so a page brings up to
 * `pageSize` new records (with `pageSize` 1 it would otherwise bring none).
 */
async function* pages(
  admin: TransportAdmin,
  topic: string,
  pageSize: number,
): AsyncGenerator<readonly BrowsedRecord[]> {
  const info = (await admin.topics()).find((t) => t.name === topic);
  if (info === undefined) throw new TopicNotFoundError(topic);
  const seen = new Set<string>();
  for (let partition = 0; partition < info.partitions; partition++) {
    let from = 'earliest';
    for (;;) {
      const limit = from === 'earliest' ? pageSize : pageSize + 1;
      const page = await admin.read(topic, { from, partition, limit });
      const fresh = page.filter((r) => !seen.has(recordId(r)));
      if (fresh.length === 0) break;
      for (const r of fresh) seen.add(recordId(r));
      yield fresh;
      from = fresh[fresh.length - 1]!.position;
    }
  }
}

/**
 * Publish dead letters back to the topic they failed on, each for the one
 * group that failed it (other groups settle the copy unhandled), at most
 * `ratePerSec`. The dead-letter records stay where they are (purge them after
 * checking the redrive worked). With `dryRun`, only the plan is returned.
 */
export async function redriveDeadLetters(
  transport: Pick<Transport, 'publish'> & { readonly admin: TransportAdmin },
  options: RedriveOptions,
): Promise<RedriveReport> {
  const rate = options.ratePerSec;
  if (rate !== undefined && !(rate > 0))
    throw new ConfigError(`redrive: option "ratePerSec" must be a positive number (got ${String(rate)})`);
  const pageSize = options.pageSize ?? 500;
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new ConfigError(`redrive: option "pageSize" must be a positive integer (got ${String(pageSize)})`);
  const wanted = options.ids === undefined ? undefined : new Set(options.ids);
  const picked: BrowsedRecord[] = [];
  for await (const page of pages(transport.admin, options.topic, pageSize))
    for (const r of page)
      if ((wanted === undefined || wanted.has(recordId(r))) && matchesDeadLetter(r, options.filter)) picked.push(r);
  const copies = picked.map((r) => ({ record: r, copy: redriveCopy(r) }));
  const plan = copies.map(({ record, copy }) => ({
    id: recordId(record),
    topic: copy.topic,
    group: copy.headers[RETRY_HEADERS.targetGroup]!,
    key: copy.key,
    reason: record.headers[DLQ_HEADERS.reason],
  }));
  const byGroup: Record<string, number> = {};
  for (const p of plan) byGroup[p.group] = (byGroup[p.group] ?? 0) + 1;
  let redriven = 0;
  if (!options.dryRun) {
    options.onProgress?.({ done: 0, total: copies.length });
    const batch = rate === undefined ? 100 : Math.max(1, Math.min(100, Math.floor(rate / 10)));
    const started = Date.now();
    for (let i = 0; i < copies.length; i += batch) {
      options.signal?.throwIfAborted();
      const slice = copies.slice(i, i + batch).map((c) => c.copy);
      await transport.publish(slice);
      redriven += slice.length;
      options.onProgress?.({ done: redriven, total: copies.length });
      if (rate !== undefined) {
        const due = started + (redriven / rate) * 1000 - Date.now();
        if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
      }
    }
  }
  return { dryRun: options.dryRun === true, matched: picked.length, redriven, byGroup, plan };
}
