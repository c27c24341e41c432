import { describe, expect, it } from 'vitest';
import { ConfigError, createApp, createConsoleLogger, defineHandler } from '../index.js';
import { createLaneTransport } from '../../test-fixtures/lane-transport.js';

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

const logger = createConsoleLogger({ level: 'silent' });

describe('app-wide admission budget (maxHeldMessages)', () => {
  it('lanes together hold at most the budget plus one record each; the rest waits aside, nothing is lost', async () => {
    const transport = createLaneTransport({ partitions: 4 });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const handled: string[][] = [[], [], [], []];
    const app = createApp({
      transport,
      logger,
      maxHeldMessages: 6,
      handlers: [
        defineHandler<number>({
          name: 'h',
          topic: 't',
          maxInFlight: 4,
          handle: async (m) => {
            await gate;
            handled[m.partition]!.push(m.offset);
          },
        }),
      ],
    });
    await app.start();
    for (let p = 0; p < 4; p++)
      await app.publish(Array.from({ length: 20 }, (_, i) => ({ topic: 't', partition: p, value: i })));
    await until(() => app.inspect().lanes.every((l) => l.inFlight >= 1), 'an attempt in flight on every lane');
    const lanes = app.inspect().lanes;
    // Before any settles, a lane's lag is what it holds (in flight or ready); `buffered` adds what it keeps aside.
    const aside = lanes.map((l) => l.buffered - (l.lag - l.inFlight));
    expect(
      lanes.reduce((n, l) => n + l.lag, 0),
      'held entries',
    ).toBeLessThanOrEqual(6 + 4 * 1);
    expect(
      lanes.reduce((n, l, i) => n + l.lag + aside[i]!, 0),
      'every record is held or kept aside',
    ).toBe(80);
    expect(
      lanes.filter((_, i) => aside[i]! > 0).map((l) => l.state),
      'lanes keeping records aside pause',
    ).toEqual(lanes.filter((_, i) => aside[i]! > 0).map(() => 'paused'));
    open();
    await until(() => handled.every((h) => h.length === 20), 'every record handled');
    for (const h of handled) expect(h).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    await until(() => [0, 1, 2, 3].every((p) => transport.committed('t', p) === 20), 'the end offsets committed');
    await app.stop();
  });

  it('refuses a maxHeldMessages that is not a positive integer, naming the option', () => {
    for (const bad of [0, -1, 1.5, Number.NaN])
      expect(() => createApp({ transport: createLaneTransport(), logger, maxHeldMessages: bad, handlers: [] })).toThrow(
        ConfigError,
      );
    expect(() => createApp({ transport: createLaneTransport(), logger, maxHeldMessages: 0, handlers: [] })).toThrow(
      /maxHeldMessages/,
    );
  });
});
