import type { OutboundRecord } from '@partita/core';
import type { Member, MemberReport } from './member-report.js';

/** A broker of the rebalance scenario: a topic of `partitions`, a publisher, and members of one group. */
export interface RebalanceRig {
  readonly name: string;
  /** Lanes of the topic (NATS has one, shared by every member). */
  readonly partitions: number;
  /** The broker's timeouts a departure is judged against (ms), e.g. `sessionTimeoutMs`. */
  readonly timeouts: Readonly<Record<string, number>>;
  publish(records: readonly OutboundRecord[]): Promise<void>;
  readonly topic: string;
  /** Start member `id`; `report` hears everything it says. Resolves once started (`ready`). */
  spawn(id: string, report: (r: MemberReport) => void): Promise<Member>;
  close(): Promise<void>;
}
