import { getAdjacencyMap, getShortestPaths } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import {
  NonRetryableError,
  createApp,
  createVirtualClock,
  defineHandler,
  laneMachine,
  type App,
  type Transport,
} from '../index.js';
import { createLaneTransport } from '../../test-fixtures/lane-transport.js';
import { regionStates } from './lane-machine.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const EVENTS = [
  'STARTED',
  'RECORDS',
  'IDLE',
  'BACK_OFF',
  'RETRY_DUE',
  'COMMIT',
  'COMMITTED',
  'PAUSE',
  'RESUME',
  'BLOCK',
  'UNBLOCK',
  'DRAIN',
  'DRAINED',
].map((type) => ({ type }));

/** (from → to) pairs at region level for one state change: `running→paused`, `fetch.waiting→fetch.fetching`. */
function projectedPairs(from: unknown, to: unknown): string[] {
  const a = regionStates(from);
  const b = regionStates(to);
  if (a[0] !== b[0]) return [`${a[0]}→${b[0]}`];
  const pairs: string[] = [];
  for (let i = 1; i < a.length; i++) if (a[i] !== b[i]) pairs.push(`${a[i]}→${b[i]}`);
  return pairs;
}

function modelPairs(): Set<string> {
  // Typed here: @xstate/graph keys its maps by branded strings, which Object.values reads as unknown.
  type Adjacency = Record<
    string,
    { state: { value: unknown }; transitions: Record<string, { state: { value: unknown } }> }
  >;
  const adjacency = getAdjacencyMap(laneMachine, { events: EVENTS as never }) as unknown as Adjacency;
  const pairs = new Set<string>();
  for (const { state, transitions } of Object.values(adjacency)) {
    for (const t of Object.values(transitions))
      for (const p of projectedPairs(state.value, t.state.value)) pairs.add(p);
  }
  return pairs;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * Watches what the runtime does to the transport and the handler in each lane
 * state (from `lane.state-changed`), and records every breach of a state's
 * guarantees:
 * - a `paused`, `draining` or `stopped` lane fetches nothing (no delivery reaches it);
 * - handlers start only in `running.fetch.fetching`, `paused` or `blocked`: never while
 *   `starting`, `waiting`, `backingOff` (partition ordering: the head waits for its retry),
 *   `draining` (takes no new records) or `stopped`;
 * - a `blocked` lane commits nothing past the entry it is stuck on;
 * - one commit at a time (`commit.committing`), none once `stopped`.
 */
class LaneMonitor {
  readonly violations: string[] = [];
  readonly deliveries: Record<string, number> = {};
  private readonly states = new Map<number, string[]>();
  /** Offsets whose dead-letter publish is failing (the entries a blocked lane is stuck on). */
  readonly stuck = new Set<number>();
  private committing = 0;

  watch(app: App): void {
    app.on('lane.state-changed', (e) => void this.states.set(e.lane.partition, regionStates(e.toValue)));
  }

  private state(partition: number): string[] {
    return this.states.get(partition) ?? ['starting'];
  }

  private label(partition: number): string {
    return this.state(partition).join('+');
  }

  /**
   * Starts in `running.fetch.waiting`, kept apart: after RESUME or UNBLOCK the machine
   * re-enters `running` at `fetch.waiting` although records are still buffered, so the
   * runtime dispatches in a state that says "nothing to do" (see the last test below).
   */
  readonly waitingStarts: string[] = [];

  /** The handler started a message: allowed only where the lane dispatches. */
  started(partition: number, offset: string): void {
    const [top, fetch] = this.state(partition);
    if (top === 'running' && fetch === 'fetch.waiting') {
      this.waitingStarts.push(`partition ${partition}: handler started offset ${offset} in ${this.label(partition)}`);
      return;
    }
    const ok = top === 'paused' || top === 'blocked' || (top === 'running' && fetch === 'fetch.fetching');
    if (!ok)
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
                const [top] = this.state(p);
                if (top === 'stopped') this.violations.push(`partition ${p}: commit ${next} once stopped`);
                if (this.committing > 0)
                  this.violations.push(`partition ${p}: commit ${next} while another commit is in flight`);
                if (top === 'blocked') {
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
                const [top = 'starting'] = this.state(p);
                this.deliveries[top] = (this.deliveries[top] ?? 0) + records.length;
                if (top === 'paused' || top === 'draining' || top === 'stopped')
                  this.violations.push(`partition ${p}: ${records.length} record(s) fetched while ${top}`);
                s.deliver(records);
              },
            };
          },
        }),
    };
  }
}

describe('lane machine (model-based)', () => {
  it('every state is reachable in the model', () => {
    const reached = new Set(
      getShortestPaths(laneMachine, { events: EVENTS as never }).flatMap((p) => regionStates(p.state.value)),
    );
    for (const s of [
      'starting',
      'running',
      'fetch.waiting',
      'fetch.fetching',
      'fetch.backingOff',
      'commit.idle',
      'commit.committing',
      'paused',
      'blocked',
      'draining',
      'stopped',
    ]) {
      expect(reached, s).toContain(s);
    }
  });

  it('the runtime exercises every transition of the model and keeps the guarantees of each state', async () => {
    const expected = modelPairs();
    expect(expected.size).toBeGreaterThan(15);
    const observed = new Set<string>();
    const violations: string[] = [];
    const fetchedWhile: Record<string, number> = {};
    const monitors: LaneMonitor[] = [];
    const monitor = (): LaneMonitor => {
      const m = new LaneMonitor();
      monitors.push(m);
      return m;
    };
    const watch = (app: App, mon: LaneMonitor): void => {
      mon.watch(app);
      app.on('lane.state-changed', (e) => projectedPairs(e.fromValue, e.toValue).forEach((p) => observed.add(p)));
    };

    // 1. Partition ordering with a transient failure: fetch, back off, retry, commit, drain, stop.
    //    While the head backs off, the messages behind it must wait.
    {
      const clock = createVirtualClock();
      const mon = monitor();
      const transport = createLaneTransport({ now: () => clock.now() });
      let n = 0;
      const app = createApp({
        transport: mon.transport(transport),
        clock,
        logger: silent,
        handlers: [
          defineHandler({
            name: 'a',
            topic: 't',
            ordering: 'partition',
            retry: { backoff: { initialMs: 10, jitter: 0 } },
            handle: (m) => {
              mon.started(m.partition, m.offset);
              if (n++ === 0) throw new Error('once');
            },
          }),
        ],
      });
      watch(app, mon);
      await app.start();
      await app.publish([
        { topic: 't', value: 1 },
        { topic: 't', value: 2 },
        { topic: 't', value: 3 },
      ]);
      await until(() => observed.has('fetch.fetching→fetch.backingOff'), 'back off');
      // Let the event loop run while backing off: nothing else may start.
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      expect(app.inspect().metrics.succeeded, 'nothing dispatched while the head backs off').toBe(0);
      await clock.advance(10);
      await until(() => app.inspect().metrics.succeeded === 3, 'all done');
      await until(() => transport.committed('t', 0) === 3, 'commit');
      await app.stop();
    }
    // 2. Backpressure: running → paused → running; a poison message whose dead-letter publish fails
    //    while paused: paused → blocked; heal: blocked → running; stop while paused: paused → draining.
    //    Records published while paused or draining must not be fetched.
    {
      const clock = createVirtualClock();
      const mon = monitor();
      const transport = createLaneTransport({ now: () => clock.now(), batch: 3000 });
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      const app = createApp({
        transport: mon.transport(transport),
        clock,
        logger: silent,
        handlers: [
          defineHandler({
            name: 'b',
            topic: 't',
            ordering: 'none',
            maxInFlight: 2,
            handle: (m) => {
              mon.started(m.partition, m.offset);
              if (m.value === 0) {
                mon.stuck.add(Number(m.offset));
                throw new NonRetryableError('poison');
              }
              return gate;
            },
          }),
        ],
      });
      watch(app, mon);
      transport.failPublishes('t.dlq', 1);
      await app.start();
      await app.publish(Array.from({ length: 3000 }, (_, i) => ({ topic: 't', value: i })));
      await until(() => observed.has('paused→blocked'), 'blocked while paused');
      await clock.advance(200);
      await until(() => observed.has('blocked→running'), 'unblocked');
      mon.stuck.clear();
      await until(() => app.inspect().lanes[0]!.state === 'paused', 'paused again');
      await app.publish(Array.from({ length: 10 }, (_, i) => ({ topic: 't', value: 5000 + i })));
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      const stopping = app.stop({ drainTimeoutMs: 100 });
      await app.publish(Array.from({ length: 10 }, (_, i) => ({ topic: 't', value: 6000 + i }))).catch(() => undefined);
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      await clock.advance(100);
      await stopping;
      open();
    }
    // 3. Blocked while running, stuck on a poison message whose dead-letter copy keeps failing,
    //    with good messages behind it: nothing is committed past the stuck entry. Stop while blocked.
    {
      const clock = createVirtualClock();
      const mon = monitor();
      const transport = createLaneTransport({ now: () => clock.now() });
      const app = createApp({
        transport: mon.transport(transport),
        clock,
        logger: silent,
        handlers: [
          defineHandler({
            name: 'c',
            topic: 't',
            ordering: 'none',
            handle: (m) => {
              mon.started(m.partition, m.offset);
              if (m.value === 'poison') {
                mon.stuck.add(Number(m.offset));
                throw new NonRetryableError('poison');
              }
            },
          }),
        ],
      });
      watch(app, mon);
      transport.failPublishes('t.dlq', 100);
      await app.start();
      await app.publish([
        { topic: 't', value: 'good' },
        { topic: 't', value: 'poison' },
        ...Array.from({ length: 5 }, () => ({ topic: 't', value: 'good' })),
      ]);
      await until(() => observed.has('running→blocked'), 'blocked');
      await until(() => app.inspect().metrics.succeeded === 6, 'the good ones handled');
      for (let i = 0; i < 3; i++) await clock.advance(300);
      expect(transport.committed('t', 0), 'committed up to the stuck entry, not past it').toBe(1);
      const stopping = app.stop({ drainTimeoutMs: 50 });
      await clock.advance(50);
      await stopping;
    }
    // 4. Running → paused → running on backpressure, stop while running.
    {
      const mon = monitor();
      const transport = createLaneTransport({ batch: 5000 });
      const app = createApp({
        transport: mon.transport(transport),
        logger: silent,
        handlers: [
          defineHandler({
            name: 'd',
            topic: 't',
            ordering: 'none',
            maxInFlight: 8,
            handle: async (m) => {
              mon.started(m.partition, m.offset);
            },
          }),
        ],
      });
      watch(app, mon);
      await app.start();
      await app.publish(Array.from({ length: 5000 }, (_, i) => ({ topic: 't', value: i })));
      await until(() => app.inspect().metrics.succeeded === 5000, 'all');
      await app.stop();
    }
    // 5. Draining takes no new records: neither those buffered when the drain began nor those
    //    published during it; only the message in flight finishes.
    {
      const clock = createVirtualClock();
      const mon = monitor();
      const transport = createLaneTransport({ now: () => clock.now() });
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      const app = createApp({
        transport: mon.transport(transport),
        clock,
        logger: silent,
        handlers: [
          defineHandler({
            name: 'e',
            topic: 't',
            ordering: 'none',
            maxInFlight: 1,
            handle: (m) => {
              mon.started(m.partition, m.offset);
              return m.value === 0 ? gate : undefined;
            },
          }),
        ],
      });
      watch(app, mon);
      await app.start();
      await app.publish(Array.from({ length: 5 }, (_, i) => ({ topic: 't', value: i })));
      await until(() => app.inspect().lanes[0]?.inFlight === 1, 'the first message in flight');
      const stopping = app.stop({ drainTimeoutMs: 1_000 });
      await until(() => app.inspect().lanes[0]?.state === 'draining', 'draining');
      await transport.publish(
        Array.from({ length: 5 }, (_, i) => ({
          topic: 't',
          value: new TextEncoder().encode(String(10 + i)),
          headers: { 'content-type': 'application/json' },
        })),
      );
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      open();
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      await clock.advance(1_000);
      await stopping;
      expect(app.inspect().metrics.succeeded, 'only the message in flight when the drain began').toBe(1);
      expect(transport.committed('t', 0)).toBe(1);
    }
    for (const m of monitors) {
      violations.push(...m.violations);
      for (const [k, v] of Object.entries(m.deliveries)) fetchedWhile[k] = (fetchedWhile[k] ?? 0) + v;
    }
    const missing = [...expected].filter((p) => !observed.has(p));
    expect(missing).toEqual([]);
    expect(violations.join('\n')).toBe('');
    expect(fetchedWhile.paused ?? 0, 'records fetched while paused').toBe(0);
    expect(fetchedWhile.draining ?? 0, 'records fetched while draining').toBe(0);
  }, 60_000);

  // RESUME and UNBLOCK re-enter `running` at its initial `fetch.waiting`; the actor says RECORDS when work is still buffered.
  it('a lane resumed with records still buffered is fetching, not waiting', async () => {
    const mon = new LaneMonitor();
    const transport = createLaneTransport({ batch: 5000 });
    const app = createApp({
      transport: mon.transport(transport),
      logger: silent,
      handlers: [
        defineHandler({
          name: 'w',
          topic: 't',
          ordering: 'none',
          maxInFlight: 8,
          handle: async (m) => {
            mon.started(m.partition, m.offset);
          },
        }),
      ],
    });
    mon.watch(app);
    await app.start();
    await app.publish(Array.from({ length: 5000 }, (_, i) => ({ topic: 't', value: i })));
    await until(() => app.inspect().metrics.succeeded === 5000, 'all');
    await app.stop();
    expect(mon.violations).toEqual([]);
    expect(mon.waitingStarts).toEqual([]);
  });
});
