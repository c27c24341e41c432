// inspect() reports each lane's whole machine state value (issue 13.8), so a
// dashboard can draw the lane machine with its current state lit.
import { describe, expect, it } from 'vitest';
import { createConsoleLogger, createApp, defineHandler, laneMachine, type Logger } from '@partita/core';
import { createMemoryBroker, memoryTransport } from '@partita/memory';
import { waitFor } from '@partita/testing';

const quiet: Logger = createConsoleLogger({ level: 'silent' });

describe('inspect()', () => {
  it('shows every region of each lane machine, and the value resolves to states of laneMachine', async () => {
    const broker = createMemoryBroker({ defaultPartitions: 1 });
    const topic = `inspect-${Math.random().toString(36).slice(2, 8)}`;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const app = createApp({
      transport: memoryTransport(broker),
      logger: quiet,
      handlers: [defineHandler({ name: 'h', topic, handle: () => gate })],
    });
    await app.start();
    await app.publish({ topic, key: 'k', value: 1 });
    await waitFor(() => app.inspect().lanes[0]?.inFlight === 1, { description: 'in flight' });
    const lane = app.inspect().lanes[0]!;
    expect(lane.machine).toEqual({
      life: 'running',
      flow: 'open',
      health: 'ok',
      fetch: 'fetching',
      commit: expect.stringMatching(/^(idle|committing)$/),
    });
    const context = { ordering: 'key' as const, pauseReason: undefined, blockedBy: [] };
    expect(
      laneMachine
        .resolveState({ value: lane.machine as never, context })
        .matches({ life: 'running', fetch: 'fetching' }),
    ).toBe(true);
    release();
    await app.stop();
    expect(app.inspect().lanes[0]!.machine).toMatchObject({
      life: 'stopped',
      flow: 'open',
      health: 'ok',
      fetch: 'waiting',
    });
    await broker.close();
  });
});
