import type { Clock, LaneId, SubscriptionSink, SubscriptionSpec, TimerHandle } from '@partita/core';
import type { RedisKeys } from '../keys/redis-keys.js';
import type { RedisLane } from '../lane/redis-lane.js';
import type { ScriptRunner } from '../scripts/script-runner.js';
import type { RedisClient } from '../transport/redis-connection.js';

/** What a membership needs from its transport. */
export interface MembershipConfig {
  readonly spec: SubscriptionSpec;
  readonly sink: SubscriptionSink;
  readonly partitions: number;
  readonly consumer: string;
  readonly leaseMs: number;
  readonly clock: Clock;
  readonly keys: RedisKeys;
  readonly cmd: RedisClient;
  readonly scripts: ScriptRunner;
  /** A new lane for an acquired partition (with its own reading connection). */
  readonly makeLane: (partition: number) => RedisLane;
  /** Called with a lane once it stops (released or lost), so the transport forgets it. */
  readonly onLaneGone: (lane: RedisLane) => void;
  readonly onError: (what: string, err: unknown) => void;
}

interface Owned {
  readonly lane: RedisLane;
  leaving: Promise<void> | undefined;
}

/** Beats between two sweeps for consumers that left the group for good. */
const CLEANUP_EVERY_BEATS = 10;

/**
 * One member of a consumer group on one topic. Every fifth of `leaseMs` it
 * beats: one script renews its membership (the group's slot), then one
 * script per partition, pipelined (each in its partition's slot), renews
 * the leases it holds and takes the free partitions its fair share gives it (live members
 * sorted by name, partition p to member p mod n). A partition held but no
 * longer its share (a member joined) is released after its lane drained
 * (`sink.revoked`) and handed its unsettled entries back; the new owner takes
 * the lease only once it is free, and replays the pending entries first, so
 * per-key order holds across the group. A member that cannot renew for a
 * whole lease stops its lanes itself (another member may own them by then).
 */
export class GroupMembership {
  private readonly owned = new Map<number, Owned>();
  private timer: TimerHandle | undefined;
  private beating: Promise<void> | undefined;
  private lastRenewed: number;
  private beats = 0;
  private closed = false;
  members: readonly string[] = [];

  constructor(private readonly cfg: MembershipConfig) {
    this.lastRenewed = cfg.clock.now();
  }

  get spec(): SubscriptionSpec {
    return this.cfg.spec;
  }

  /** Partitions this member owns now (releasing ones included). */
  get partitions(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  get lanes(): RedisLane[] {
    return [...this.owned.values()].map((o) => o.lane);
  }

  /** Join: the first heartbeat (lanes assigned by it), then the periodic ones. */
  async start(): Promise<void> {
    await this.beat();
    this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.cfg.clock.setTimeout(
      () => {
        void this.beat().finally(() => this.schedule());
      },
      Math.max(50, Math.floor(this.cfg.leaseMs / 5)),
    );
  }

  beat(): Promise<void> {
    this.beating ??= this.doBeat().finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  private async doBeat(): Promise<void> {
    if (this.closed) return;
    const { keys, spec, consumer, leaseMs } = this.cfg;
    let held: number[];
    let release: number[];
    try {
      const members = (await this.cfg.scripts.membership(
        [keys.members(spec.topic, spec.group)],
        [consumer, String(leaseMs)],
      )) as string[];
      // One script per partition, in the partition's slot, sent together (pipelined).
      const n = members.length;
      const states = await Promise.all(
        Array.from({ length: this.cfg.partitions }, (_, p) =>
          this.cfg.scripts.lease(
            [keys.lease(spec.topic, spec.group, p)],
            [consumer, String(leaseMs), n > 0 ? members[p % n]! : ''],
          ),
        ),
      );
      held = [];
      release = [];
      states.forEach((state, p) => {
        if (Number(state) > 0) held.push(p);
        if (Number(state) === 2) release.push(p);
      });
      this.members = members;
      this.lastRenewed = this.cfg.clock.now();
    } catch (err) {
      this.cfg.onError(`heartbeat of group "${spec.group}" on "${spec.topic}"`, err);
      if (this.cfg.clock.now() - this.lastRenewed >= leaseMs) {
        // Our leases have lapsed: another member may own these partitions now.
        // leave() reports its own failures (onError) and never rejects.
        for (const p of [...this.owned.keys()]) void this.leave(p, false);
      }
      return;
    }
    if (this.closed) return;
    const heldSet = new Set(held);
    for (const p of held) if (!this.owned.has(p)) this.acquire(p);
    // leave() reports its own failures (onError) and never rejects.
    for (const [p, o] of this.owned) if (!heldSet.has(p) && !o.leaving) void this.leave(p, false);
    for (const p of release) if (this.owned.get(p)?.leaving === undefined) void this.leave(p, true);
    if (++this.beats % CLEANUP_EVERY_BEATS === 0) await this.removeDeadConsumers().catch(() => undefined);
  }

  private acquire(p: number): void {
    const lane = this.cfg.makeLane(p);
    this.owned.set(p, { lane, leaving: undefined });
    lane.start(this.cfg.sink.assigned(lane));
  }

  /**
   * Stop a lane: stop reading, let the runtime drain it, then (when the
   * lease is still ours) hand back what stayed unsettled and free the lease.
   */
  private leave(p: number, stillOwned: boolean): Promise<void> {
    const o = this.owned.get(p);
    if (!o) return Promise.resolve();
    o.leaving ??= (async () => {
      const id: LaneId = o.lane.id;
      try {
        await o.lane.stopReading();
        await this.cfg.sink.revoked(id);
        // Hands back what stayed unsettled and frees the lease, in one script, only while the lease is ours.
        if (stillOwned) await o.lane.release();
      } catch (err) {
        this.cfg.onError(`release of "${id.topic}" partition ${p}`, err);
      } finally {
        this.owned.delete(p);
        this.cfg.onLaneGone(o.lane);
      }
    })();
    return o.leaving;
  }

  /** Consumers of owned partitions that are no longer members and hold nothing: removed from the group. */
  private async removeDeadConsumers(): Promise<void> {
    const { keys, spec, cmd, consumer } = this.cfg;
    const live = new Set(this.members);
    for (const p of this.owned.keys()) {
      const stream = keys.stream(spec.topic, p);
      const rows = (await cmd.call('XINFO', 'CONSUMERS', stream, spec.group)) as unknown[][];
      for (const row of rows) {
        const info = new Map<string, unknown>();
        for (let i = 0; i + 1 < row.length; i += 2) info.set(String(row[i]), row[i + 1]);
        const name = String(info.get('name'));
        if (name !== consumer && !live.has(name) && Number(info.get('pending')) === 0) {
          await cmd.call('XGROUP', 'DELCONSUMER', stream, spec.group, name);
        }
      }
    }
  }

  /** Leave the group: every lane drained and released, membership removed. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) this.cfg.clock.clearTimeout(this.timer);
    await this.beating?.catch(() => undefined);
    await Promise.all([...this.owned.keys()].map((p) => this.leave(p, true)));
    const { keys, spec, consumer } = this.cfg;
    await this.cfg.scripts.leave([keys.members(spec.topic, spec.group)], [consumer]).catch(() => undefined);
  }
}
