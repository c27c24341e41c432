import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  FINISHED_LANES_PER_HANDLER,
  createApp,
  defineHandler,
  type LaneHandle,
  type LaneId,
  type Subscription,
  type SubscriptionSink,
  type SubscriptionSpec,
  type Transport,
  createConsoleLogger,
} from '../index.js';
import { createLaneTransport } from '../../test-fixtures/lane-transport.js';
import { jsonLines } from '../../test-fixtures/json-lines.js';

const silent = createConsoleLogger({ level: 'silent' });
const handle = (): void => undefined;

/** A transport that only hands the sink to the test, so it can assign and revoke lanes at will. */
function sinkTransport() {
  const sinks: { spec: SubscriptionSpec; sink: SubscriptionSink }[] = [];
  const base = createLaneTransport();
  const transport: Transport = {
    ...base,
    async subscribe(spec, sink): Promise<Subscription> {
      sinks.push({ spec, sink });
      return { async close() {} };
    },
  };
  const lane = (id: LaneId): LaneHandle => ({
    ackModel: 'offset',
    id,
    pause() {},
    resume() {},
    commit: async () => true,
  });
  return { transport, sinks, lane };
}

describe('createApp rejects two handlers on one (group, topic)', () => {
  it('is a ConfigError naming both handlers, the topic and the group', () => {
    const a = defineHandler({ name: 'a', topic: 'orders', group: 'billing', handle });
    const b = defineHandler({ name: 'b', topic: 'orders', group: 'billing', handle });
    expect(() => createApp({ transport: createLaneTransport(), logger: silent, env: {}, handlers: [a, b] })).toThrow(
      ConfigError,
    );
    expect(() => createApp({ transport: createLaneTransport(), logger: silent, env: {}, handlers: [a, b] })).toThrow(
      /handlers "a" and "b" both consume topic "orders" in group "billing"/,
    );
  });
  it('accepts one topic in two groups, and two topics in one group', () => {
    const handlers = [
      defineHandler({ name: 'a', topic: 'orders', group: 'billing', handle }),
      defineHandler({ name: 'b', topic: 'orders', group: 'shipping', handle }),
      defineHandler({ name: 'c', topic: 'refunds', group: 'billing', handle }),
    ];
    expect(() => createApp({ transport: createLaneTransport(), logger: silent, env: {}, handlers })).not.toThrow();
  });
});

describe('event listeners that throw', () => {
  it('are logged with the event name, and the other listeners still run', async () => {
    const { transport, sinks, lane } = sinkTransport();
    const { lines, logger } = jsonLines();
    const app = createApp({ transport, logger, env: {}, handlers: [defineHandler({ name: 'h', topic: 't', handle })] });
    const calls: string[] = [];
    const boom = new Error('listener bug');
    app.on('lane.assigned', () => {
      calls.push('first');
      throw boom;
    });
    app.on('lane.assigned', () => void calls.push('second'));
    await app.start();
    sinks[0]!.sink.assigned(lane({ group: 'h', topic: 't', partition: 0 }));
    expect(calls).toEqual(['first', 'second']);
    const line = lines.find((l) => l.level === 'error' && l.msg === 'event listener threw');
    expect(line).toMatchObject({ event: 'lane.assigned', err: { name: 'Error', message: 'listener bug' } });
    await app.stop();
  });
});

describe('finished lane snapshots', () => {
  it(`keep only the last ${FINISHED_LANES_PER_HANDLER} per handler however many revocations`, async () => {
    const { transport, sinks, lane } = sinkTransport();
    const app = createApp({
      transport,
      logger: silent,
      env: {},
      handlers: [
        defineHandler({ name: 'h1', topic: 't1', handle }),
        defineHandler({ name: 'h2', topic: 't2', handle }),
      ],
    });
    await app.start();
    for (const { spec, sink } of sinks) {
      for (let i = 0; i < FINISHED_LANES_PER_HANDLER * 3; i++) {
        const id = { group: spec.group, topic: spec.topic, partition: i };
        sink.assigned(lane(id));
        await sink.revoked(id);
      }
    }
    await app.stop();
    const lanes = app.inspect().lanes;
    for (const h of ['h1', 'h2']) {
      const mine = lanes.filter((l) => l.handler === h);
      expect(mine).toHaveLength(FINISHED_LANES_PER_HANDLER);
      // The newest are kept.
      expect(mine.at(-1)!.partition).toBe(FINISHED_LANES_PER_HANDLER * 3 - 1);
      expect(mine[0]!.partition).toBe(FINISHED_LANES_PER_HANDLER * 2);
    }
  });
});

describe('option errors', () => {
  it('name the option, what it must be and what was given, in one shape (optionError)', async () => {
    const transport = createLaneTransport();
    const bad = (options: Record<string, unknown>) => () =>
      createApp({ transport, logger: silent, env: {}, ...options });
    expect(bad({ clock: { now: () => 0 } })).toThrow(ConfigError);
    expect(bad({ clock: { now: () => 0 } })).toThrow(
      'createApp: option "clock" must be a Clock with now(), setTimeout(), clearTimeout(), queueTurn()',
    );
    expect(bad({ random: 4 })).toThrow(
      'createApp: option "random" must be a function returning a number in [0, 1), got "number"',
    );
    expect(bad({ maxBufferedBytes: -1 })).toThrow(
      'createApp: option "maxBufferedBytes" must be a positive integer, got -1',
    );
    expect(() => defineHandler({ name: 'h', topic: 't', maxInFlight: 0, handle })).toThrow(
      'handler "h": option "maxInFlight" must be a positive integer, got 0',
    );
    const app = createApp({ transport, logger: silent, env: {} });
    await expect(app.stop({ drainTimeoutMs: -5 })).rejects.toThrow(
      'stop: option "drainTimeoutMs" must be a number ≥ 0, got -5',
    );
  });
});
