/** A committed position: the next offset to consume (Kafka convention) and its metadata. */
export interface CommittedOffset {
  readonly offset: number;
  readonly metadata: string | undefined;
}

/** What a group member does when partitions move. */
export interface MemberCallbacks {
  /** The partition is now owned by this member; `epoch` identifies this ownership. */
  assign(partition: number, epoch: number): void;
  /** The partition is being taken away: resolve after the final commit. Ownership lasts until it resolves. */
  revoke(partition: number): Promise<void>;
}

/** A member of one group on one topic. */
export interface GroupMember {
  readonly id: number;
  readonly group: string;
  readonly topic: string;
  /** Partitions currently owned. */
  owned(): number[];
}

interface Member extends GroupMember {
  readonly callbacks: MemberCallbacks;
  left: boolean;
}

interface Membership {
  readonly members: Member[];
  readonly owners: (Member | undefined)[];
  readonly epochs: number[];
  chain: Promise<void>;
}

/** Persists committed offsets (durable mode). */
export type CommitListener = (group: string, topic: string, partition: number, entry: CommittedOffset) => void;

/**
 * In-process group coordinator: committed offsets per (group, topic,
 * partition) and partition assignment among the members of a group on a
 * topic. Assignment is round-robin by join order and incremental: only
 * partitions that change owner move, each revoked (awaited) before it is
 * assigned to its new owner. Rebalances of one (group, topic) run one at a time.
 */
export class GroupCoordinator {
  private readonly offsets = new Map<string, Map<string, (CommittedOffset | undefined)[]>>();
  private readonly memberships = new Map<string, Membership>();
  private nextId = 1;
  onCommit: CommitListener | undefined;
  /** A group's committed position moved on a partition (the broker frees what every group has passed). */
  onAdvance: ((topic: string, partition: number) => void) | undefined;
  onError: (err: unknown, where: string) => void = () => {};

  constructor(private readonly partitionCount: (topic: string) => number) {}

  private table(group: string, topic: string): (CommittedOffset | undefined)[] {
    let g = this.offsets.get(group);
    if (!g) {
      g = new Map();
      this.offsets.set(group, g);
    }
    let t = g.get(topic);
    if (!t) {
      t = [];
      g.set(topic, t);
    }
    return t;
  }

  /** Make the group known on the topic (its position then holds back reclaiming of consumed records). */
  register(group: string, topic: string): void {
    this.table(group, topic);
  }

  committed(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(group)?.get(topic)?.[partition];
  }

  /** Store a position unconditionally (raw API, seek, recovery). */
  setCommitted(
    group: string,
    topic: string,
    partition: number,
    offset: number,
    metadata: string | undefined,
    persist = true,
  ): void {
    const entry = { offset, metadata };
    this.table(group, topic)[partition] = entry;
    if (persist) this.onCommit?.(group, topic, partition, entry);
    this.onAdvance?.(topic, partition);
  }

  /** Commit on behalf of a member: only while it owns the partition under `epoch`. */
  commitOwned(
    member: GroupMember,
    partition: number,
    epoch: number,
    offset: number,
    metadata: string | undefined,
  ): boolean {
    const m = this.memberships.get(key(member.group, member.topic));
    if (!m || m.owners[partition] !== member || m.epochs[partition] !== epoch) return false;
    this.setCommitted(member.group, member.topic, partition, offset, metadata);
    return true;
  }

  /** Groups known on a topic. */
  groupsOf(topic: string): string[] {
    const out: string[] = [];
    for (const [g, topics] of this.offsets) if (topics.has(topic)) out.push(g);
    return out;
  }

  /** Every (group, topic) with its committed table. */
  *entries(): IterableIterator<[string, string, readonly (CommittedOffset | undefined)[]]> {
    for (const [g, topics] of this.offsets) for (const [t, table] of topics) yield [g, t, table];
  }

  /** Owner member id of a partition, if any. */
  owner(group: string, topic: string, partition: number): number | undefined {
    return this.memberships.get(key(group, topic))?.owners[partition]?.id;
  }

  memberCount(group: string, topic: string): number {
    return this.memberships.get(key(group, topic))?.members.length ?? 0;
  }

  /**
   * Join: the member exists at once (so commits during the first rebalance
   * work); `ready` resolves once the rebalance that includes it finished.
   */
  join(group: string, topic: string, callbacks: MemberCallbacks): { member: GroupMember; ready: Promise<void> } {
    this.register(group, topic);
    const k = key(group, topic);
    let m = this.memberships.get(k);
    if (!m) {
      m = { members: [], owners: [], epochs: [], chain: Promise.resolve() };
      this.memberships.set(k, m);
    }
    const membership = m;
    const member: Member = {
      id: this.nextId++,
      group,
      topic,
      callbacks,
      left: false,
      owned: () => membership.owners.flatMap((o, p) => (o === member ? [p] : [])),
    };
    membership.members.push(member);
    return { member, ready: this.rebalance(membership, topic) };
  }

  /** Leave: revokes the member's partitions (awaited) and hands them to the others. */
  async leave(member: GroupMember): Promise<void> {
    const m = this.memberships.get(key(member.group, member.topic));
    const mem = member as Member;
    if (!m || mem.left) return;
    mem.left = true;
    const i = m.members.indexOf(mem);
    if (i >= 0) m.members.splice(i, 1);
    await this.rebalance(m, member.topic);
  }

  /** Every member leaves (broker close). */
  async leaveAll(): Promise<void> {
    const all: Promise<void>[] = [];
    for (const m of this.memberships.values()) for (const member of [...m.members]) all.push(this.leave(member));
    await Promise.all(all);
  }

  /** Revoke every partition of the (group, topic) for `during`, then assign them again (seek). */
  async reassign(group: string, topic: string, during: () => void): Promise<void> {
    const m = this.memberships.get(key(group, topic));
    if (!m) {
      during();
      return;
    }
    const run = async (): Promise<void> => {
      await this.revokeWhere(m, () => true);
      during();
    };
    m.chain = m.chain.then(run, run);
    await m.chain;
    await this.rebalance(m, topic);
  }

  private rebalance(m: Membership, topic: string): Promise<void> {
    const run = async (): Promise<void> => {
      const n = this.partitionCount(topic);
      const active = m.members.filter((x) => !x.left);
      const target: (Member | undefined)[] = [];
      for (let p = 0; p < n; p++) target[p] = active.length ? active[p % active.length] : undefined;
      await this.revokeWhere(m, (p, owner) => owner !== target[p]);
      for (let p = 0; p < n; p++) {
        const t = target[p];
        if (t && !t.left && !m.owners[p]) {
          m.owners[p] = t;
          const epoch = (m.epochs[p] ?? 0) + 1;
          m.epochs[p] = epoch;
          try {
            t.callbacks.assign(p, epoch);
          } catch (err) {
            this.onError(err, 'assign');
          }
        }
      }
    };
    m.chain = m.chain.then(run, run);
    return m.chain;
  }

  private async revokeWhere(m: Membership, pred: (p: number, owner: Member) => boolean): Promise<void> {
    const pending: Promise<void>[] = [];
    m.owners.forEach((owner, p) => {
      if (!owner || !pred(p, owner)) return;
      pending.push(
        (async () => {
          try {
            await owner.callbacks.revoke(p);
          } catch (err) {
            this.onError(err, 'revoke');
          }
          m.owners[p] = undefined;
          m.epochs[p] = (m.epochs[p] ?? 0) + 1;
        })(),
      );
    });
    await Promise.all(pending);
  }
}

function key(group: string, topic: string): string {
  return `${group}\u0000${topic}`;
}
