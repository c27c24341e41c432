import { getAdjacencyMap, getShortestPaths } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import { NonRetryableError, createApp, createVirtualClock, defineHandler, laneMachine, type App } from '../index.js';
import { createLaneTransport } from '../../test-fixtures/lane-transport.js';
import { regionStates } from './lane-machine.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const EVENTS = ['STARTED', 'RECORDS', 'IDLE', 'BACK_OFF', 'RETRY_DUE', 'COMMIT', 'COMMITTED', 'PAUSE', 'RESUME', 'BLOCK', 'UNBLOCK', 'DRAIN', 'DRAINED'].map((type) => ({ type }));

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
  const adjacency = getAdjacencyMap(laneMachine, { events: EVENTS as never });
  const pairs = new Set<string>();
  for (const { state, transitions } of Object.values(adjacency)) {
    for (const t of Object.values(transitions)) for (const p of projectedPairs(state.value, t.state.value)) pairs.add(p);
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

describe('lane machine (model-based)', () => {
  it('every state is reachable in the model', () => {
    const reached = new Set(getShortestPaths(laneMachine, { events: EVENTS as never }).flatMap((p) => regionStates(p.state.value)));
    for (const s of ['starting', 'running', 'fetch.waiting', 'fetch.fetching', 'fetch.backingOff', 'commit.idle', 'commit.committing', 'paused', 'blocked', 'draining', 'stopped']) {
      expect(reached, s).toContain(s);
    }
  });

  it('the runtime exercises every transition of the model', async () => {
    const expected = modelPairs();
    expect(expected.size).toBeGreaterThan(15);
    const observed = new Set<string>();
    const watch = (app: App): void => void app.on('lane.state-changed', (e) => projectedPairs(e.fromValue, e.toValue).forEach((p) => observed.add(p)));

    // 1. Partition ordering with a transient failure: fetch, back off, retry, commit, drain, stop.
    {
      const clock = createVirtualClock();
      const transport = createLaneTransport({ now: clock.now });
      let n = 0;
      const app = createApp({ transport, clock, logger: silent, handlers: [defineHandler({ name: 'a', topic: 't', ordering: 'partition', retry: { backoff: { initialMs: 10, jitter: 0 } }, handle: () => { if (n++ === 0) throw new Error('once'); } })] });
      watch(app);
      await app.start();
      await app.publish([{ topic: 't', value: 1 }, { topic: 't', value: 2 }]);
      await until(() => observed.has('fetch.fetching→fetch.backingOff'), 'back off');
      await clock.advance(10);
      await until(() => app.inspect().metrics.succeeded === 2, 'both done');
      await until(() => transport.committed('t', 0) === 2, 'commit');
      await app.stop();
    }
    // 2. Backpressure: running → paused → running; a poison message whose dead-letter publish fails
    //    while paused: paused → blocked; heal: blocked → running; stop while paused: paused → draining.
    {
      const clock = createVirtualClock();
      const transport = createLaneTransport({ now: clock.now, batch: 3000 });
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      const app = createApp({ transport, clock, logger: silent, handlers: [defineHandler({ name: 'b', topic: 't', ordering: 'none', maxInFlight: 2, handle: (m) => { if (m.value === 0) throw new NonRetryableError('poison'); return gate; } })] });
      watch(app);
      transport.failPublishes('t.dlq', 1);
      await app.start();
      await app.publish(Array.from({ length: 3000 }, (_, i) => ({ topic: 't', value: i })));
      await until(() => observed.has('paused→blocked'), 'blocked while paused');
      await clock.advance(200);
      await until(() => observed.has('blocked→running'), 'unblocked');
      await until(() => app.inspect().lanes[0]!.state === 'paused', 'paused again');
      const stopping = app.stop({ drainTimeoutMs: 100 });
      await clock.advance(100);
      await stopping;
      open();
    }
    // 3. Blocked while running (nothing else buffered), stop while blocked.
    {
      const clock = createVirtualClock();
      const transport = createLaneTransport({ now: clock.now });
      const app = createApp({ transport, clock, logger: silent, handlers: [defineHandler({ name: 'c', topic: 't', handle: () => { throw new NonRetryableError('poison'); } })] });
      watch(app);
      transport.failPublishes('t.dlq', 100);
      await app.start();
      await app.publish({ topic: 't', value: 1 });
      await until(() => observed.has('running→blocked'), 'blocked');
      const stopping = app.stop({ drainTimeoutMs: 50 });
      await clock.advance(50);
      await stopping;
    }
    // 4. Running → paused → running on backpressure, stop while running.
    {
      const transport = createLaneTransport({ batch: 5000 });
      const app = createApp({ transport, logger: silent, handlers: [defineHandler({ name: 'd', topic: 't', ordering: 'none', maxInFlight: 8, handle: async () => undefined })] });
      watch(app);
      await app.start();
      await app.publish(Array.from({ length: 5000 }, (_, i) => ({ topic: 't', value: i })));
      await until(() => app.inspect().metrics.succeeded === 5000, 'all');
      await app.stop();
    }
    const missing = [...expected].filter((p) => !observed.has(p));
    expect(missing).toEqual([]);
  }, 60_000);
});
