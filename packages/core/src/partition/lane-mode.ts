import { createActor, type Actor } from 'xstate';
import {
  laneMachine,
  type BlockReason,
  type LaneEvent,
  type LaneMachineContext,
  type LaneOrdering,
  type LaneStateValue,
  type PauseReason,
} from './lane-machine.js';

/** What the lane machine does to the outside: the broker side of the lane, and who hears of a change. */
export interface LaneModeHooks {
  pauseBroker(): void;
  resumeBroker(): void;
  /** The state value changed (any region). */
  changed(from: LaneStateValue, to: LaneStateValue, context: LaneMachineContext): void;
}

/**
 * The running lane machine of one partition actor. Its snapshot is the only
 * record of the lane's mode; the getters below are a cache of it, refreshed
 * on every transition, because the actor reads them on hot paths and
 * `getSnapshot()` is not free.
 */
export class LaneMode {
  private readonly actor: Actor<typeof laneMachine>;
  /** The machine's whole state value (every region), as `inspect()` shows it. */
  value: LaneStateValue;
  /** The flow is paused by the operator (`pauseReason` `operator`): the lane starts no new work. */
  held = false;

  constructor(ordering: LaneOrdering, hooks: LaneModeHooks) {
    this.actor = createActor(
      laneMachine.provide({
        actions: { pauseBroker: () => hooks.pauseBroker(), resumeBroker: () => hooks.resumeBroker() },
      }),
      { input: { ordering } },
    );
    this.value = this.actor.getSnapshot().value;
    this.actor.subscribe((snap) => {
      this.held = snap.context.pauseReason === 'operator';
      const to = snap.value as LaneStateValue;
      const from = this.value;
      if (sameValue(from, to)) return;
      this.value = to;
      hooks.changed(from, to, snap.context);
    });
    this.actor.start();
  }

  private stopped = false;

  /** Send an event; the machine's guards decide whether it changes anything. Ignored once stopped. */
  send(event: LaneEvent): void {
    if (!this.stopped) this.actor.send(event);
  }

  /** `life.running`: the lane takes records and starts work. */
  get running(): boolean {
    return this.value.life === 'running';
  }
  get paused(): boolean {
    return this.value.flow === 'paused';
  }
  get blocked(): boolean {
    return this.value.health === 'blocked';
  }
  get fetch(): LaneStateValue['fetch'] {
    return this.value.fetch;
  }

  /** Block the lane by `reason`; true when it was not blocked by that reason yet (say so once, not per try). */
  block(reason: BlockReason): boolean {
    const fresh = !this.blockedBy.includes(reason);
    this.send({ type: 'BLOCK', reason });
    return fresh;
  }

  /** `reason` works again; the lane is `ok` once no reason is left. */
  unblock(reason: BlockReason): void {
    if (this.value.health === 'blocked') this.send({ type: 'UNBLOCK', reason });
  }

  get pauseReason(): PauseReason | undefined {
    return this.actor.getSnapshot().context.pauseReason;
  }
  get blockedBy(): readonly BlockReason[] {
    return this.actor.getSnapshot().context.blockedBy;
  }

  stop(): void {
    this.stopped = true;
    this.actor.stop();
  }
}

/**
 * One word for a state value, as `lane.state-changed` and `LaneSnapshot.state`
 * say it: `draining` or `stopped` outside `life.running`; else `blocked`,
 * `paused`, or `running` (with `detail`: `running.<fetch>`).
 */
export function laneStateName(v: LaneStateValue, detail = false): string {
  if (v.life !== 'running') return v.life;
  if (v.health === 'blocked') return 'blocked';
  if (v.flow === 'paused') return 'paused';
  return detail ? `running.${v.fetch}` : 'running';
}

function sameValue(a: LaneStateValue, b: LaneStateValue): boolean {
  return (
    a.life === b.life && a.flow === b.flow && a.health === b.health && a.fetch === b.fetch && a.commit === b.commit
  );
}
