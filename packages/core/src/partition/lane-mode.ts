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

/** The hooks of each running lane machine, found by the actor that runs the action. */
const hooksOf = new WeakMap<object, LaneModeHooks>();

/**
 * The lane machine with its broker actions, provided once: `provide()` builds
 * a new machine (every state node and transition again), which cost ~0.5–1 ms
 * per lane on the 2-core machine, so a topic of 1,024 partitions spent a
 * second creating machines (bench `scale`, decision 48). The actions find the
 * lane's hooks through the actor running them.
 */
const providedLaneMachine = laneMachine.provide({
  actions: {
    pauseBroker: ({ self }) => hooksOf.get(self)?.pauseBroker(),
    resumeBroker: ({ self }) => hooksOf.get(self)?.resumeBroker(),
  },
});

/**
 * The running lane machine of one partition actor. Its snapshot is the only
 * record of the lane's mode; the getters below are a cache of it, refreshed
 * on every transition, because the actor reads them on hot paths and
 * `getSnapshot()` is not free.
 */
export class LaneMode {
  private readonly actor: Actor<typeof providedLaneMachine>;
  /** The machine's whole state value (every region), as `inspect()` shows it. */
  value: LaneStateValue;
  /** The flow is paused by the operator (`pauseReason` `operator`): the lane starts no new work. */
  held = false;

  constructor(ordering: LaneOrdering, hooks: LaneModeHooks) {
    this.actor = createActor(providedLaneMachine, { input: { ordering } });
    hooksOf.set(this.actor, hooks);
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
