import type { MemberReport } from './member-report.js';

interface Handling {
  readonly member: string;
  readonly partition: number;
  readonly seq: number;
  readonly at: number;
}

/** What one departure (or join) cost, from the records' point of view. */
export interface EventFigures {
  /** Lanes the departing member owned at the event (or, for a join, the ones the new member got). */
  readonly movedLanes: number[];
  /** Longest time from the event until a moved lane delivered to another member (a join: to the new one); null if one never did. */
  readonly resumeMs: number | null;
  /** Worst publish→handler-start delay of the records published from 1 s before to 1 s after the event; null if one was never handled. */
  readonly maxDelayMs: number | null;
  /** Median and p99 delay of the records published in the 3 s before the event (the steady state). */
  readonly steadyP50Ms: number | null;
  readonly steadyP99Ms: number | null;
}

const pct = (xs: number[], p: number): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! * 10) / 10;
};

/** Records every publish and every report of the members; answers ownership and the figures of an event. */
export class RebalanceObserver {
  private readonly publishedAt: number[] = [];
  private readonly firstHandled: number[] = [];
  private readonly handlings: Handling[] = [];
  private readonly owner = new Map<number, string>();
  private readonly live = new Set<string>();

  published(seq: number, at: number): void {
    this.publishedAt[seq] = at;
  }

  report(member: string, r: MemberReport): void {
    if (r.t === 'handled') {
      if (r.seq < 0) return;
      this.handlings.push({ member, partition: r.partition, seq: r.seq, at: r.at });
      if (this.firstHandled[r.seq] === undefined) this.firstHandled[r.seq] = r.at;
    } else if (r.t === 'assigned') this.owner.set(r.partition, member);
    else if (r.t === 'revoked' && this.owner.get(r.partition) === member) this.owner.delete(r.partition);
    else if (r.t === 'ready') this.live.add(member);
  }

  gone(member: string): void {
    this.live.delete(member);
  }

  lanesOf(member: string): number[] {
    return [...this.owner].filter(([, m]) => m === member).map(([p]) => p);
  }

  /** Every lane owned by a live member, every live member owning one (with one shared lane: each delivering), each lane delivering in the last `ms`. */
  steady(partitions: number, now: number, ms = 1000): boolean {
    if (this.owner.size < partitions && partitions > 1) return false;
    for (const m of this.owner.values()) if (!this.live.has(m)) return false;
    const recent = new Map<number, Set<string>>();
    for (let i = this.handlings.length - 1; i >= 0 && this.handlings[i]!.at > now - ms; i--) {
      const h = this.handlings[i]!;
      recent.set(h.partition, (recent.get(h.partition) ?? new Set()).add(h.member));
    }
    if (recent.size < partitions) return false;
    const delivering = new Set([...recent.values()].flatMap((s) => [...s]));
    return [...this.live].every((m) => delivering.has(m));
  }

  /** True once every moved lane resumed and every record published up to 1 s after the event was handled. */
  recovered(at: number, moved: number[], departed: string | undefined, joined?: string): boolean {
    const f = this.figures(at, moved, departed, joined);
    return f.resumeMs !== null && f.maxDelayMs !== null;
  }

  figures(at: number, moved: number[], departed: string | undefined, joined?: string): EventFigures {
    let resume: number | null = moved.length === 0 ? 0 : null;
    const firstOn = new Map<number, number>();
    for (const h of this.handlings) {
      if (h.at <= at || !moved.includes(h.partition) || firstOn.has(h.partition)) continue;
      if (joined !== undefined ? h.member === joined : h.member !== departed) firstOn.set(h.partition, h.at - at);
    }
    if (moved.length > 0 && firstOn.size === moved.length) resume = Math.max(...firstOn.values());
    let maxDelay: number | null = 0;
    const steady: number[] = [];
    for (let seq = 0; seq < this.publishedAt.length; seq++) {
      const p = this.publishedAt[seq];
      if (p === undefined) continue;
      const h = this.firstHandled[seq];
      if (p >= at - 4000 && p < at - 1000 && h !== undefined) steady.push(h - p);
      if (p < at - 1000 || p > at + 1000 || maxDelay === null) continue;
      maxDelay = h === undefined ? null : Math.max(maxDelay, h - p);
    }
    const round = (x: number | null) => (x === null ? null : Math.round(x));
    return {
      movedLanes: moved,
      resumeMs: round(resume),
      maxDelayMs: round(maxDelay),
      steadyP50Ms: pct(steady, 50),
      steadyP99Ms: pct(steady, 99),
    };
  }
}
