import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createConsoleLogger,
  ConfigError,
  createApp,
  createVirtualClock,
  defineHandler,
  type AppOptions,
} from '../index.js';
import { createLaneTransport } from '../../test-fixtures/lane-transport.js';
import { until } from '../../test-fixtures/until.js';

const silent = createConsoleLogger({ level: 'silent' });

/** Runs a handler that always fails transiently; returns the attempt count and the topic it was dead-lettered to. */
async function failing(
  env: Record<string, string>,
  options: Partial<AppOptions> = {},
  retry: Parameters<typeof defineHandler>[0]['retry'] = {},
) {
  const transport = createLaneTransport();
  let attempts = 0;
  const app = createApp({
    transport,
    logger: silent,
    env,
    ...options,
    handlers: [
      defineHandler({
        name: 'h',
        topic: 'orders',
        retry: { backoff: { initialMs: 0, maxMs: 0 }, ...retry },
        handle: () => {
          attempts++;
          throw new Error('transient');
        },
      }),
    ],
  });
  await app.start();
  await app.publish({ topic: 'orders', value: 1 });
  await until(() => transport.published.some((r) => r.topic !== 'orders'), 'a dead-letter copy');
  await app.stop();
  return { attempts, dlq: transport.published.find((r) => r.topic !== 'orders')!.topic };
}

describe('createApp applies the PARTITA_* environment (explicit option > env > default)', () => {
  it('PARTITA_RETRY_MAX_ATTEMPTS replaces the default attempts, not an explicit one', async () => {
    expect((await failing({})).attempts).toBe(5);
    expect((await failing({ PARTITA_RETRY_MAX_ATTEMPTS: '2' })).attempts).toBe(2);
    expect(
      (await failing({ PARTITA_RETRY_MAX_ATTEMPTS: '2' }, {}, { maxAttempts: 3, backoff: { initialMs: 0, maxMs: 0 } }))
        .attempts,
    ).toBe(3);
  });

  it('PARTITA_DLQ_SUFFIX names the dead-letter topic unless dlqSuffix is given', async () => {
    expect((await failing({ PARTITA_RETRY_MAX_ATTEMPTS: '1' })).dlq).toBe('orders.dlq');
    expect((await failing({ PARTITA_RETRY_MAX_ATTEMPTS: '1', PARTITA_DLQ_SUFFIX: '-dead' })).dlq).toBe('orders-dead');
    expect(
      (await failing({ PARTITA_RETRY_MAX_ATTEMPTS: '1', PARTITA_DLQ_SUFFIX: '-dead' }, { dlqSuffix: '.mine' })).dlq,
    ).toBe('orders.mine');
  });

  it('PARTITA_RETRY_INITIAL_MS and PARTITA_RETRY_MAX_MS replace the default backoff, not an explicit one', async () => {
    const run = async (env: Record<string, string>, backoff: Record<string, number>): Promise<number[]> => {
      const clock = createVirtualClock(0);
      const transport = createLaneTransport({ now: () => clock.now() });
      const at: number[] = [];
      const app = createApp({
        transport,
        clock,
        logger: silent,
        env,
        handlers: [
          defineHandler({
            name: 'h',
            topic: 't',
            deadLetter: false,
            retry: { maxAttempts: 3, backoff: { multiplier: 2, jitter: 0, ...backoff } },
            handle: () => {
              at.push(clock.now());
              throw new Error('x');
            },
          }),
        ],
      });
      await app.start();
      await app.publish({ topic: 't', value: 1 });
      for (let i = 1; i <= 3; i++) {
        await until(() => at.length >= i, `attempt ${i}`);
        if (i < 3) await clock.advance(10_000);
      }
      await app.stop({ drainTimeoutMs: 0 });
      return at;
    };
    // Blocking retries at initialMs, then min(initialMs × 2, maxMs).
    expect(await run({ PARTITA_RETRY_INITIAL_MS: '30', PARTITA_RETRY_MAX_MS: '45' }, {})).toEqual([0, 30, 75]);
    expect(
      await run({ PARTITA_RETRY_INITIAL_MS: '30', PARTITA_RETRY_MAX_MS: '45' }, { initialMs: 10, maxMs: 15 }),
    ).toEqual([0, 10, 25]);
  });

  describe('PARTITA_LOG_LEVEL sets the default logger level', () => {
    afterEach(() => vi.restoreAllMocks());
    it('silent drops the error a throwing listener logs; the default (info) writes it', async () => {
      const run = async (env: Record<string, string>): Promise<number> => {
        const written: string[] = [];
        vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
          written.push(String(chunk));
          return true;
        });
        try {
          const transport = createLaneTransport();
          const app = createApp({
            transport,
            env,
            handlers: [defineHandler({ name: 'h', topic: 't', handle: () => undefined })],
          });
          app.on('lane.assigned', () => {
            throw new Error('listener bug');
          });
          await app.start();
          await until(() => app.inspect().lanes.length === 1, 'a lane');
          await app.stop();
        } finally {
          vi.restoreAllMocks();
        }
        return written.filter((l) => l.includes('event listener threw')).length;
      };
      expect(await run({})).toBe(1);
      expect(await run({ PARTITA_LOG_LEVEL: 'silent' })).toBe(0);
      expect(await run({ PARTITA_LOG_LEVEL: 'error' })).toBe(1);
    });
  });

  it('a bad variable is a ConfigError naming it, at createApp', () => {
    expect(() =>
      createApp({ transport: createLaneTransport(), logger: silent, env: { PARTITA_RETRY_MAX_ATTEMPTS: 'many' } }),
    ).toThrow(ConfigError);
    expect(() =>
      createApp({ transport: createLaneTransport(), logger: silent, env: { PARTITA_RETRY_MAX_ATTEMPTS: 'many' } }),
    ).toThrow(/PARTITA_RETRY_MAX_ATTEMPTS/);
  });
});

describe('createConsoleLogger', () => {
  it('a bad level is a ConfigError naming the option', async () => {
    const { createConsoleLogger } = await import('../index.js');
    expect(() => createConsoleLogger({ level: 'loud' as never })).toThrow(ConfigError);
    expect(() => createConsoleLogger({ level: 'loud' as never })).toThrow(/option "level"/);
  });
});
