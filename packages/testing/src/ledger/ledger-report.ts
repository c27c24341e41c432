/** One line of the ledger: a publish (`p`) or a handling (`h`). */
export type LedgerEvent =
  | { readonly t: 'p'; readonly id: string; readonly key: string | null; readonly at: number }
  | {
      readonly t: 'h';
      readonly id: string;
      readonly key: string | null;
      readonly by: string;
      readonly at: number;
      /** Delivery attempt, present only above 1 (a redelivery). */
      readonly a?: number;
      /** 1 when the broker redelivered the record although its attempt is 1 (a hand-back). */
      readonly r?: 1;
    };

/**
 * A key's first handlings did not follow its publish order: message `id`
 * (publish sequence `seq` within `key`) was first handled after message
 * `after.id`, which was published later (`after.seq > seq`).
 */
export interface OrderViolation {
  readonly key: string;
  readonly id: string;
  readonly seq: number;
  readonly after: { readonly id: string; readonly seq: number };
}

/**
 * Within one member's handlings (one `by` label: give every member
 * incarnation its own label, and the label is its tenure), a first delivery
 * of `key` was handled after that member had handled a later-published one.
 */
export interface MemberOrderViolation extends OrderViolation {
  readonly by: string;
}

/** What a ledger proves. Ids are the application's message ids, not broker positions. */
export interface LedgerReport {
  /** Distinct ids published. */
  readonly published: number;
  /** Distinct published ids handled at least once. */
  readonly handled: number;
  /** Every handling event, duplicates included. */
  readonly handlings: number;
  /** Published ids never handled, in publish order. */
  readonly lost: readonly string[];
  /** Handlings beyond the first of a published id (`count`), and the ids handled more than once. */
  readonly duplicates: { readonly count: number; readonly ids: readonly string[] };
  /** Per-key order violations among first handlings (redeliveries are duplicates, not violations). */
  readonly orderViolations: readonly OrderViolation[];
  /**
   * Per-key order violations within each member's tenure: among the first
   * deliveries (attempt 1, not redelivered by the broker) that member
   * handled, and that were the id's first handling anywhere. Holds where key order across members does not (NATS
   * spreads a key over a group's members).
   */
  readonly memberOrderViolations: readonly MemberOrderViolation[];
  /** Handlings recorded with an attempt above 1 or as redelivered (redeliveries). */
  readonly redeliveredHandlings: number;
  /** Handled ids that were never published (another test's traffic, or a corrupted id). */
  readonly unexpected: readonly string[];
  /** Handling events per `by` label. */
  readonly byHandler: Readonly<Record<string, number>>;
  /** Ledger-file lines that could not be parsed (e.g. a process killed mid-write). */
  readonly malformedLines: number;
}

/**
 * Compute the report from events in recording order. Publish order per key
 * is the order of the publish events; a handling may precede its publish
 * event (another process recorded it later) without counting as unexpected.
 */
export function analyzeLedger(events: readonly LedgerEvent[], malformedLines = 0): LedgerReport {
  const publishes = new Map<string, { key: string | null; seq: number }>();
  const nextSeq = new Map<string, number>();
  const order: string[] = [];
  for (const e of events) {
    if (e.t !== 'p' || publishes.has(e.id)) continue;
    let seq = 0;
    if (e.key !== null) {
      seq = nextSeq.get(e.key) ?? 0;
      nextSeq.set(e.key, seq + 1);
    }
    publishes.set(e.id, { key: e.key, seq });
    order.push(e.id);
  }

  const handledCount = new Map<string, number>();
  const byHandler: Record<string, number> = {};
  const unexpected = new Set<string>();
  const highest = new Map<string, { id: string; seq: number }>();
  const orderViolations: OrderViolation[] = [];
  const memberHighest = new Map<string, Map<string, { id: string; seq: number }>>();
  const memberOrderViolations: MemberOrderViolation[] = [];
  let redeliveredHandlings = 0;
  let handlings = 0;
  let duplicateCount = 0;
  for (const e of events) {
    if (e.t !== 'h') continue;
    handlings++;
    byHandler[e.by] = (byHandler[e.by] ?? 0) + 1;
    const pub = publishes.get(e.id);
    if (!pub) {
      unexpected.add(e.id);
      continue;
    }
    const seen = handledCount.get(e.id) ?? 0;
    handledCount.set(e.id, seen + 1);
    const redelivery = (e.a ?? 1) > 1 || e.r === 1;
    if (redelivery) redeliveredHandlings++;
    if (seen > 0) {
      duplicateCount++;
      continue;
    }
    if (pub.key === null) continue;
    if (!redelivery) {
      let keys = memberHighest.get(e.by);
      if (!keys) memberHighest.set(e.by, (keys = new Map<string, { id: string; seq: number }>()));
      const mine = keys.get(pub.key);
      if (mine && mine.seq > pub.seq)
        memberOrderViolations.push({ by: e.by, key: pub.key, id: e.id, seq: pub.seq, after: mine });
      else keys.set(pub.key, { id: e.id, seq: pub.seq });
    }
    const top = highest.get(pub.key);
    if (top && top.seq > pub.seq) {
      orderViolations.push({ key: pub.key, id: e.id, seq: pub.seq, after: top });
    } else {
      highest.set(pub.key, { id: e.id, seq: pub.seq });
    }
  }

  const lost = order.filter((id) => !handledCount.has(id));
  const duplicateIds = order.filter((id) => (handledCount.get(id) ?? 0) > 1);
  return {
    published: publishes.size,
    handled: handledCount.size,
    handlings,
    lost,
    duplicates: { count: duplicateCount, ids: duplicateIds },
    orderViolations,
    memberOrderViolations,
    redeliveredHandlings,
    unexpected: [...unexpected],
    byHandler,
    malformedLines,
  };
}

/** A one-line human summary of a report, for assertion and timeout messages. */
export function formatLedgerReport(report: LedgerReport, maxIds = 10): string {
  const ids = (list: readonly string[]): string =>
    list.length === 0
      ? ''
      : ` [${list.slice(0, maxIds).join(', ')}${list.length > maxIds ? `, … ${list.length - maxIds} more` : ''}]`;
  const parts = [
    `published ${report.published}`,
    `handled ${report.handled}`,
    `lost ${report.lost.length}${ids(report.lost)}`,
    `duplicates ${report.duplicates.count}${ids(report.duplicates.ids)}`,
    `order violations ${report.orderViolations.length}${ids(report.orderViolations.map((v) => `${v.key}:${v.id}<${v.after.id}`))}`,
    `member order violations ${report.memberOrderViolations.length}${ids(report.memberOrderViolations.map((v) => `${v.by}:${v.key}:${v.id}<${v.after.id}`))}`,
    `unexpected ${report.unexpected.length}${ids(report.unexpected)}`,
    `by ${JSON.stringify(report.byHandler)}`,
  ];
  if (report.malformedLines > 0) parts.push(`malformed lines ${report.malformedLines}`);
  return parts.join('; ');
}
