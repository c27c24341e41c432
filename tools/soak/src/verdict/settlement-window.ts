import type { LedgerEvent } from '@partita/testing';
import type { SettlementEvent } from '../member/settlement-log.js';

/** How each duplicate handling is accounted for. */
export interface DuplicateAccount {
  /** Handlings beyond an id's first. */
  readonly duplicates: number;
  /** Inside the window of a killed member that handled the id before (died before the broker confirmed its settlement). */
  readonly withinKilledWindow: number;
  /** Inside the window of a live member only: it handled the id, then lost the lane before its settlement was confirmed (a rebalance). */
  readonly withinLiveWindow: number;
  /**
   * Handled again by a stale owner: a member still holding the lane (assigned, not yet released) after the
   * broker had given it to another member, which settled the record first. A member whose session the broker
   * dropped without its knowing (a zombie) does this until it finds out; only its commits are fenced.
   */
  readonly byStaleOwner: number;
  /** Longest time (ms) a stale owner handled a record after the lane's newer owner was assigned it. */
  readonly staleOwnerMaxMs: number;
  /** Ids handled again although every earlier handler's settlement was confirmed before: the broker redelivered settled records. */
  readonly unexplained: readonly string[];
  /** For the first few unexplained ids: each handling and the lane's confirmed commits/acks in between, to diagnose them. */
  readonly unexplainedTrace: readonly string[];
  /** Per killed member: ids it handled whose settlement the broker never confirmed (its in-flight window when it died). */
  readonly killedWindows: Readonly<Record<string, number>>;
  /** Sum and largest of `killedWindows`. */
  readonly killedWindowTotal: number;
  readonly killedWindowMax: number;
}

const SEP = '\u0000';

/**
 * The duplicate bound. A record is handled again only if a member that
 * handled it before had not had its settlement confirmed by the broker
 * (commit past its offset, or ack) by the time of the new handling. For a
 * kill -9 that unsettled set is the member's in-flight window, so duplicates
 * caused by kills ≤ Σ window(killed members); a member that loses a lane in a
 * rebalance without a final commit (Kafka, see its README) has such a window
 * too. Offset-model metadata (settled offsets above the commit) is not
 * credited, so a window counted here may be larger than what the broker
 * replays, never smaller.
 */
export function accountDuplicates(
  ledger: readonly LedgerEvent[],
  settlements: readonly SettlementEvent[],
  killed: ReadonlySet<string>,
): DuplicateAccount {
  // Offsets stay strings (message-model brokers' positions need not be numbers, e.g. SQS message ids);
  // only commits (offset model, integer offsets) compare them as numbers.
  const where = new Map<string, { lane: string; offset: string }>();
  const commits = new Map<string, { at: number; next: bigint }[]>();
  const acked = new Map<string, number>();
  /** Assignments of each lane in time order: who was assigned it, when. */
  const assignments = new Map<string, { by: string; at: number }[]>();
  for (const e of settlements) {
    if (e.t === 'h') where.set(e.by + SEP + e.id, { lane: e.lane, offset: e.offset });
    else if (e.t === 'c') {
      const k = e.by + SEP + e.lane;
      let list = commits.get(k);
      if (!list) commits.set(k, (list = []));
      list.push({ at: e.at, next: BigInt(e.next) });
    } else if (e.t === 'a') for (const o of e.offsets) acked.set(e.by + SEP + e.lane + SEP + o, e.at);
    else if (e.op === 'assigned') {
      let list = assignments.get(e.lane);
      if (!list) assignments.set(e.lane, (list = []));
      list.push({ by: e.by, at: e.at });
    }
  }
  /** Whether `by`'s handling of `id` was confirmed settled at time `asOf`. */
  const settled = (by: string, id: string, asOf: number): boolean => {
    const w = where.get(by + SEP + id);
    if (!w) return false; // killed between its ledger line and this one: unsettled
    const ackAt = acked.get(by + SEP + w.lane + SEP + w.offset);
    if (ackAt !== undefined && ackAt <= asOf) return true;
    if (!/^\d+$/.test(w.offset)) return false; // commits are offset-model only
    const offset = BigInt(w.offset);
    return (commits.get(by + SEP + w.lane) ?? []).some((c) => c.at <= asOf && c.next > offset);
  };

  /** How long (ms) before `at` another member was assigned the lane `by` handled `id` on, after `by` last was; -1 if not. */
  const staleFor = (by: string, id: string, at: number): number => {
    const lane = where.get(by + SEP + id)?.lane;
    const list = lane === undefined ? undefined : assignments.get(lane);
    if (!list) return -1;
    let own = -Infinity;
    let newer = -1;
    for (const a of list) {
      if (a.at > at) break;
      if (a.by === by) {
        own = a.at;
        newer = -1;
      } else if (a.at >= own && newer < 0) newer = a.at;
    }
    return newer < 0 ? -1 : at - newer;
  };

  const handlers = new Map<string, string[]>();
  const killedWindows: Record<string, number> = {};
  const windowed = new Set<string>();
  let duplicates = 0;
  let withinKilledWindow = 0;
  let withinLiveWindow = 0;
  let byStaleOwner = 0;
  let staleOwnerMaxMs = 0;
  const unexplained: string[] = [];
  for (const e of ledger) {
    if (e.t !== 'h') continue;
    if (killed.has(e.by) && !windowed.has(e.by + SEP + e.id) && !settled(e.by, e.id, Infinity)) {
      windowed.add(e.by + SEP + e.id);
      killedWindows[e.by] = (killedWindows[e.by] ?? 0) + 1;
    }
    const before = handlers.get(e.id);
    if (!before) {
      handlers.set(e.id, [e.by]);
      continue;
    }
    duplicates++;
    const open = before.filter((by) => !settled(by, e.id, e.at));
    if (open.some((by) => killed.has(by))) withinKilledWindow++;
    else if (open.length > 0) withinLiveWindow++;
    else {
      const stale = staleFor(e.by, e.id, e.at);
      if (stale >= 0) {
        byStaleOwner++;
        staleOwnerMaxMs = Math.max(staleOwnerMaxMs, stale);
      } else unexplained.push(e.id);
    }
    before.push(e.by);
  }
  const sizes = Object.values(killedWindows);
  const trace = traceUnexplained(unexplained.slice(0, TRACED), ledger, settlements, killed);
  return {
    duplicates,
    withinKilledWindow,
    withinLiveWindow,
    byStaleOwner,
    staleOwnerMaxMs,
    unexplained,
    unexplainedTrace: trace,
    killedWindows,
    killedWindowTotal: sizes.reduce((a, b) => a + b, 0),
    killedWindowMax: sizes.reduce((a, b) => Math.max(a, b), 0),
  };
}

const TRACED = 3;
const TRACED_SETTLEMENTS = 16;

function describeSettlement(s: SettlementEvent): string {
  if (s.t === 'c') return `committed ${s.lane} next ${s.next}`;
  if (s.t === 'a') return `acked ${s.lane} ${s.offsets.length} entries`;
  if (s.t === 'l') return `${s.op} ${s.lane}`;
  return `handled ${s.id} at ${s.lane}:${s.offset}`;
}

/** One line per handling of each id, then the settlements of its lanes between its first and last handling. */
function traceUnexplained(
  ids: readonly string[],
  ledger: readonly LedgerEvent[],
  settlements: readonly SettlementEvent[],
  killed: ReadonlySet<string>,
): string[] {
  const lines: string[] = [];
  for (const id of ids) {
    const handlings = ledger.flatMap((e) => (e.t === 'h' && e.id === id ? [e] : []));
    const first = handlings[0]?.at ?? 0;
    const last = handlings.at(-1)?.at ?? 0;
    const wheres = settlements.flatMap((s) => (s.t === 'h' && s.id === id ? [s] : []));
    const lanes = new Set(wheres.map((s) => s.lane));
    lines.push(`${id} (${wheres.map((s) => `${s.by}@${s.lane}:${s.offset}`).join(', ')})`);
    for (const h of handlings)
      lines.push(`  +${h.at - first} ms handled by ${h.by}${killed.has(h.by) ? ' (killed)' : ''}`);
    const between = settlements.filter((s) => s.t !== 'h' && lanes.has(s.lane) && s.at >= first && s.at <= last);
    for (const s of between.slice(0, TRACED_SETTLEMENTS))
      lines.push(`  +${s.at - first} ms ${s.by} ${describeSettlement(s)}`);
    if (between.length > TRACED_SETTLEMENTS) lines.push(`  … ${between.length - TRACED_SETTLEMENTS} more settlements`);
  }
  return lines;
}
