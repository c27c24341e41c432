import { getShortestPaths } from '@xstate/graph';
import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import {
  createConsoleLogger,
  NonRetryableError,
  createApp,
  createVirtualClock,
  defineHandler,
  laneMachine,
  type App,
} from '../index.js';
import { createLaneTransport } from '../../test-fixtures/lane-transport.js';
import { LaneMonitor, MODEL, modelPairs, projectedPairs, until } from './lane-monitor.test-support.js';
import { regionStates, type LaneEvent, type LaneStateValue } from './lane-machine.js';

const silent = createConsoleLogger({ level: 'silent' });
describe('lane machine (model-based)', () => {
  it('every state is reachable in the model', () => {
    const paths = getShortestPaths(laneMachine, MODEL as never);
    const reached = new Set(paths.flatMap((p) => regionStates(p.state.value)));
    for (const s of [
      'life.running',
      'life.draining',
      'life.stopped',
      'flow.open',
      'flow.paused',
      'health.ok',
      'health.blocked',
      'fetch.waiting',
      'fetch.fetching',
      'fetch.backingOff',
      'commit.idle',
      'commit.committing',
    ]) {
      expect(reached, s).toContain(s);
    }
    // Paused and blocked at once is a state of its own, and a lane blocked by two operations
    // becomes ok only when both work again.
    expect(
      paths.some((p) => (p.state.value as LaneStateValue).flow === 'paused' && p.state.matches({ health: 'blocked' })),
    ).toBe(true);
  });

  it('guards: a blocked or draining lane does not resume; two block reasons need two unblocks; partition ordering alone backs off', () => {
    const run = (ordering: 'key' | 'partition', events: LaneEvent[]) => {
      const actor = createActor(laneMachine, { input: { ordering } }).start();
      for (const e of events) actor.send(e);
      return actor.getSnapshot();
    };
    const pause: LaneEvent = { type: 'PAUSE', reason: 'buffered bytes' };
    expect(run('key', [pause, { type: 'BLOCK', reason: 'commit' }, { type: 'RESUME' }]).value).toMatchObject({
      flow: 'paused',
      health: 'blocked',
    });
    expect(run('key', [pause, { type: 'DRAIN' }, { type: 'RESUME' }]).value).toMatchObject({ flow: 'paused' });
    expect(run('key', [{ type: 'DRAIN' }, pause]).value).toMatchObject({ flow: 'open', life: 'draining' });
    const twice = run('key', [
      { type: 'BLOCK', reason: 'commit' },
      { type: 'BLOCK', reason: 'dead-letter' },
      { type: 'UNBLOCK', reason: 'commit' },
    ]);
    expect(twice.value).toMatchObject({ health: 'blocked' });
    expect(twice.context.blockedBy).toEqual(['dead-letter']);
    expect(run('partition', [{ type: 'RECORDS' }, { type: 'BACK_OFF' }]).value).toMatchObject({ fetch: 'backingOff' });
    expect(run('key', [{ type: 'RECORDS' }, { type: 'BACK_OFF' }]).value).toMatchObject({ fetch: 'fetching' });
    expect(run('key', [{ type: 'DRAIN' }, { type: 'RECORDS' }]).value).toMatchObject({ fetch: 'waiting' });
  });

  it("guards: only the operator lifts the operator's pause; backpressure and health do not", () => {
    const run = (events: LaneEvent[]) => {
      const actor = createActor(laneMachine, { input: { ordering: 'key' } }).start();
      for (const e of events) actor.send(e);
      const snap = actor.getSnapshot();
      return { flow: (snap.value as LaneStateValue).flow, reason: snap.context.pauseReason };
    };
    const hold: LaneEvent = { type: 'PAUSE', reason: 'operator' };
    const pressure: LaneEvent = { type: 'PAUSE', reason: 'buffered messages' };
    const release: LaneEvent = { type: 'OPERATOR_RESUME' };
    const block: LaneEvent = { type: 'BLOCK', reason: 'commit' };
    const unblock: LaneEvent = { type: 'UNBLOCK', reason: 'commit' };
    const held = { flow: 'paused', reason: 'operator' };
    expect(run([hold])).toEqual(held);
    expect(run([hold, { type: 'RESUME' }])).toEqual(held);
    expect(run([hold, pressure, { type: 'RESUME' }])).toEqual(held);
    expect(run([pressure, hold, { type: 'RESUME' }]), 'the operator takes over a backpressure pause').toEqual(held);
    expect(run([hold, block, unblock, { type: 'RESUME' }])).toEqual(held);
    expect(run([hold, release])).toEqual({ flow: 'open', reason: undefined });
    expect(run([pressure, release]), 'no operator pause to lift').toEqual({
      flow: 'paused',
      reason: 'buffered messages',
    });
    expect(run([hold, { type: 'OPERATOR_RESUME', pressure: 'buffered bytes' }]), 'still full').toEqual({
      flow: 'paused',
      reason: 'buffered bytes',
    });
    expect(run([hold, { type: 'OPERATOR_RESUME', pressure: 'buffered bytes' }, { type: 'RESUME' }])).toEqual({
      flow: 'open',
      reason: undefined,
    });
    // A blocked lane the operator releases opens like a lane that never paused (it pauses again when full).
    expect(run([hold, block, release])).toEqual({ flow: 'open', reason: undefined });
    expect(run([hold, { type: 'DRAIN' }, release])).toEqual(held);
    expect(run([{ type: 'DRAIN' }, hold])).toEqual({ flow: 'open', reason: undefined });
  });

  it('the runtime exercises every transition of the model and keeps the guarantees of each state', async () => {
    const expected = modelPairs();
    expect(expected.size).toBe(12);
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
    // 2. Backpressure: flow open → paused → open; a poison message whose dead-letter publish fails
    //    while paused: paused and blocked at once; heal: health ok again, still paused; stop while paused.
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
      await until(() => mon.pausedAndBlocked, 'blocked while paused');
      await clock.advance(200);
      await until(() => observed.has('health.blocked→health.ok'), 'unblocked');
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
      await until(() => observed.has('health.ok→health.blocked'), 'blocked');
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

  // Regions are parallel: RESUME and UNBLOCK leave the fetch region alone, so a lane with work is still fetching.
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
  });
});
