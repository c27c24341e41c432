import { initialTransition, transition, type SnapshotFrom } from 'xstate';
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

type LaneSnapshot = SnapshotFrom<typeof laneMachine>;
/** A transition's result: the next snapshot and the names of the actions to run (`pauseBroker`, `resumeBroker`). */
type Step = readonly [LaneSnapshot, readonly string[]];

/**
 * xstate's own transitions of the lane machine, remembered: the machine is
 * deterministic in (state value, context, event), since its guards read only
 * those, so a transition computed once is the transition for every lane in
 * that state. A lane sends its machine four events per delivered batch
 * (`RECORDS`, `IDLE`, `COMMIT`, `COMMITTED`); run by an xstate actor each cost
 * 7.5 µs on a quiet 2-core machine and 30–60 µs under load, which capped a
 * lane fed one record per batch at ~5–8 K msg/s (bench `latency`/`scale`,
 * decision 48). Looked up here, a transition costs a string key and a map
 * lookup; the snapshot is still the one xstate computed, and still the only
 * record of the lane's mode. The states, contexts and events are few, so the
 * map stays small (it holds what lanes have actually been through).
 */
const steps = new Map<string, Step>();
const initial = new Map<LaneOrdering, LaneSnapshot>();

function keyOf(snap: LaneSnapshot, event: LaneEvent): string {
  const v = snap.value as LaneStateValue;
  const c = snap.context;
  // Every field a guard or assignment reads must be in the key: the state value, the whole context, the event's payload.
  const detail = event.type === 'OPERATOR_RESUME' ? (event.pressure ?? '') : 'reason' in event ? event.reason : '';
  return `${v.life}|${v.flow}|${v.health}|${v.fetch}|${v.commit}|${c.ordering}|${c.pauseReason ?? ''}|${c.blockedBy.join(',')}|${event.type}|${detail}`;
}

function step(snap: LaneSnapshot, event: LaneEvent): Step {
  const key = keyOf(snap, event);
  let s = steps.get(key);
  if (s === undefined) {
    const [next, actions] = transition(laneMachine, snap, event);
    s = [next, actions.map((a) => a.type)];
    steps.set(key, s);
  }
  return s;
}

/**
 * The lane machine of one partition actor. Its snapshot is the only record
 * of the lane's mode; `value` and the getters below read it. Events sent
 * while a transition's actions or change hooks run are queued and taken in
 * order afterwards, as an xstate actor's mailbox does.
 */
export class LaneMode {
  private snapshot: LaneSnapshot;
  /** The machine's whole state value (every region), as `inspect()` shows it. */
  value: LaneStateValue;
  private stopped = false;
  private processing = false;
  private readonly queue: LaneEvent[] = [];

  constructor(
    ordering: LaneOrdering,
    private readonly hooks: LaneModeHooks,
  ) {
    let first = initial.get(ordering);
    if (first === undefined) initial.set(ordering, (first = initialTransition(laneMachine, { ordering })[0]));
    this.snapshot = first;
    this.value = first.value;
  }

  /** Send an event; the machine's guards decide whether it changes anything. Ignored once stopped. */
  send(event: LaneEvent): void {
    if (this.stopped) return;
    this.queue.push(event);
    if (this.processing) return;
    this.processing = true;
    try {
      for (let e; (e = this.queue.shift()) !== undefined && !this.stopped;) this.apply(e);
    } finally {
      this.processing = false;
      this.queue.length = 0;
    }
  }

  private apply(event: LaneEvent): void {
    const [next, actions] = step(this.snapshot, event);
    if (next === this.snapshot) return;
    this.snapshot = next;
    for (const action of actions)
      if (action === 'pauseBroker') this.hooks.pauseBroker();
      else if (action === 'resumeBroker') this.hooks.resumeBroker();
    const to = next.value as LaneStateValue;
    const from = this.value;
    if (sameValue(from, to)) return;
    this.value = to;
    this.hooks.changed(from, to, next.context);
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

  /** The flow is paused by the operator (`pauseReason` `operator`): the lane starts no new work. */
  get held(): boolean {
    return this.snapshot.context.pauseReason === 'operator';
  }

  get pauseReason(): PauseReason | undefined {
    return this.snapshot.context.pauseReason;
  }
  get blockedBy(): readonly BlockReason[] {
    return this.snapshot.context.blockedBy;
  }

  stop(): void {
    this.stopped = true;
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
