import { getAdjacencyMap } from '@xstate/graph';
import { laneMachine, type App, type Transport } from '../index.js';
import { regionStates, type LaneEvent, type LaneStateValue } from './lane-machine.js';
export { until } from '../../test-fixtures/until.js';

export const EVENTS: LaneEvent[] = [
  { type: 'RECORDS' },
  { type: 'IDLE' },
  { type: 'BACK_OFF' },
  { type: 'RETRY_DUE' },
  { type: 'COMMIT' },
  { type: 'COMMITTED' },
  { type: 'PAUSE', reason: 'buffered messages' },
  { type: 'RESUME' },
  { type: 'PAUSE', reason: 'operator' },
  { type: 'OPERATOR_RESUME' },
  { type: 'OPERATOR_RESUME', pressure: 'buffered bytes' },
  { type: 'BLOCK', reason: 'dead-letter' },
  { type: 'BLOCK', reason: 'commit' },
  { type: 'UNBLOCK', reason: 'dead-letter' },
  { type: 'UNBLOCK', reason: 'commit' },
  { type: 'DRAIN' },
  { type: 'DRAINED' },
];
/** The model under partition ordering, where every transition is possible (BACK_OFF needs it). */
export const MODEL = { events: EVENTS, input: { ordering: 'partition' as const } };

/** (from → to) pairs per region for one state change: `flow.open→flow.paused`, `fetch.waiting→fetch.fetching`. */
export function projectedPairs(from: unknown, to: unknown): string[] {
  const a = regionStates(from);
  const b = regionStates(to);
  const pairs: string[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) pairs.push(`${a[i]}→${b[i]}`);
  return pairs;
}

export function modelPairs(): Set<string> {
  const adjacency = getAdjacencyMap(laneMachine, MODEL as never);
  const pairs = new Set<string>();
  interface Node {
    readonly state: { readonly value: unknown };
  }
  const nodes = Object.values(adjacency) as unknown as (Node & { readonly transitions: Record<string, Node> })[];
  for (const { state, transitions } of nodes) {
    for (const t of Object.values(transitions))
      for (const p of projectedPairs(state.value, t.state.value)) pairs.add(p);
  }
  return pairs;
}

const INITIAL: LaneStateValue = { life: 'running', flow: 'open', health: 'ok', fetch: 'waiting', commit: 'idle' };

/**
 * Watches what the runtime does to the transport and the handler in each lane
 * state (from `lane.state-changed`), and records every breach of a state's
 * guarantees:
 * - a lane whose `flow` is `paused`, or whose `life` is `draining` or `stopped`, fetches
 *   nothing (no delivery reaches it);
 * - handlers start only in `life.running` + `fetch.fetching` (paused or blocked or not): never
 *   while `fetch.waiting` (nothing to do), `fetch.backingOff` (partition ordering: the head
 *   waits for its retry), `life.draining` (takes no new work) or `life.stopped`;
 * - a `health.blocked` lane commits nothing past the entry it is stuck on;
 * - one commit at a time (`commit.committing`), none once `life.stopped`.
 */
export class LaneMonitor {
  readonly violations: string[] = [];
  readonly deliveries: Record<string, number> = {};
  private readonly states = new Map<number, LaneStateValue>();
  /** Offsets whose dead-letter publish is failing (the entries a blocked lane is stuck on). */
  readonly stuck = new Set<number>();
  /** Whether a lane was seen paused and blocked at once. */
  pausedAndBlocked = false;
  private committing = 0;

  watch(app: App): void {
    app.on('lane.state-changed', (e) => {
      const v = e.toValue;
      if (v.flow === 'paused' && v.health === 'blocked') this.pausedAndBlocked = true;
      this.states.set(e.lane.partition, v);
    });
  }

  private state(partition: number): LaneStateValue {
    return this.states.get(partition) ?? INITIAL;
  }

  private label(partition: number): string {
    return regionStates(this.state(partition)).join('+');
  }

  /** The handler started a message: allowed only where the lane dispatches. */
  started(partition: number, offset: string): void {
    const s = this.state(partition);
    if (s.life !== 'running' || s.fetch !== 'fetching')
      this.violations.push(`partition ${partition}: handler started offset ${offset} in ${this.label(partition)}`);
  }

  transport(inner: Transport): Transport {
    return {
      ...inner,
      subscribe: (spec, sink) =>
        inner.subscribe(spec, {
          revoked: (id) => sink.revoked(id),
          assigned: (lane) => {
            if (lane.ackModel !== 'offset') throw new Error('the lane monitor wraps offset lanes');
            const p = lane.id.partition;
            const s = sink.assigned({
              ackModel: 'offset',
              id: lane.id,
              pause: () => lane.pause(),
              resume: () => lane.resume(),
              commit: async (next, metadata) => {
                const st = this.state(p);
                if (st.life === 'stopped') this.violations.push(`partition ${p}: commit ${next} once stopped`);
                if (this.committing > 0)
                  this.violations.push(`partition ${p}: commit ${next} while another commit is in flight`);
                if (st.health === 'blocked') {
                  for (const o of this.stuck)
                    if (Number(next) > o)
                      this.violations.push(`partition ${p}: blocked lane committed ${next}, past stuck offset ${o}`);
                }
                this.committing++;
                try {
                  return await lane.commit(next, metadata);
                } finally {
                  this.committing--;
                }
              },
            });
            return {
              deliver: (records) => {
                const st = this.state(p);
                const where = st.life !== 'running' ? st.life : st.flow === 'paused' ? 'paused' : 'open';
                this.deliveries[where] = (this.deliveries[where] ?? 0) + records.length;
                if (where !== 'open')
                  this.violations.push(`partition ${p}: ${records.length} record(s) fetched while ${this.label(p)}`);
                s.deliver(records);
              },
            };
          },
        }),
    };
  }
}
