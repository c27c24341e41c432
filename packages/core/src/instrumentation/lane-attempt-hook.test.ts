import { describe, expect, it } from 'vitest';
import { createLaneTransport } from '../../test-fixtures/lane-transport.js';
import { createApp, createConsoleLogger, defineHandler, NonRetryableError, TimeoutError } from '../index.js';
import type { Executor, ExecutorTask } from '../executor/executor.js';
import type { AttemptInfo, AttemptLane, Instrumentation } from './instrumentation.js';
import { until } from '../../test-fixtures/until.js';

const silent = createConsoleLogger({ level: 'silent' });

describe('attempt hook', () => {
  it('begins before the handler, runs it inside run, ends once with the outcome; info.lane keeps its identity per lane', async () => {
    const log: string[] = [];
    const lanes = new Map<number, Set<AttemptLane>>();
    let active: string | undefined;
    const traced: Instrumentation = {
      attempt(info: AttemptInfo) {
        (lanes.get(info.partition) ?? lanes.set(info.partition, new Set()).get(info.partition)!).add(info.lane);
        expect(info.id).toBe(`${info.topic}/${info.partition}/${info.offset}`);
        const name = `${info.key}#${info.attempt}`;
        log.push(`begin ${name}`);
        return {
          run: <T>(fn: () => T): T => {
            const before = active;
            active = name;
            try {
              return fn();
            } finally {
              active = before;
            }
          },
          end: (error?: unknown) => log.push(`end ${name} ${error === undefined ? 'ok' : (error as Error).name}`),
        };
      },
    };
    const counted: string[] = [];
    const metered: Instrumentation = {
      attempt: (info) => ({ end: (error?: unknown) => counted.push(`${info.key} ${error === undefined}`) }),
    };
    const transport = createLaneTransport({ partitions: 2 });
    const app = createApp({
      transport,
      logger: silent,
      instrumentation: [traced, metered],
      handlers: [
        defineHandler<{ fail?: boolean }>({
          name: 'h',
          topic: 'hooked',
          retry: { maxAttempts: 1 },
          deadLetter: false,
          handle: async (msg) => {
            log.push(`handle ${msg.key} in ${active}`);
            await Promise.resolve();
            if (msg.value.fail) throw new NonRetryableError('no');
          },
        }),
      ],
    });
    await app.start();
    await app.publish([
      { topic: 'hooked', key: 'a', value: {} },
      { topic: 'hooked', key: 'b', value: { fail: true } },
      { topic: 'hooked', key: 'c', value: {} },
    ]);
    await until(() => counted.length === 3, 'three attempts ended');
    await app.stop();
    for (const k of ['a', 'c'])
      expect(log.filter((l) => l.includes(` ${k}`))).toEqual([
        `begin ${k}#1`,
        `handle ${k} in ${k}#1`,
        `end ${k}#1 ok`,
      ]);
    expect(log.filter((l) => l.includes(' b'))).toEqual(['begin b#1', 'handle b in b#1', 'end b#1 NonRetryableError']);
    expect(counted.sort()).toEqual(['a true', 'b false', 'c true']);
    for (const set of lanes.values()) expect(set.size).toBe(1);
  });

  it('ends a scope whose handler passed its deadline with a TimeoutError, once', async () => {
    const ended: unknown[] = [];
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    const app = createApp({
      transport: createLaneTransport({ partitions: 1 }),
      logger: silent,
      instrumentation: [{ attempt: () => ({ end: (error?: unknown) => ended.push(error) }) }],
      handlers: [
        defineHandler({
          name: 'slow',
          topic: 'slow',
          timeoutMs: 50,
          retry: { maxAttempts: 1 },
          deadLetter: false,
          handle: () => stuck,
        }),
      ],
    });
    await app.start();
    await app.publish({ topic: 'slow', key: 'k', value: 1 });
    await until(() => ended.length === 1, 'the scope ended at the deadline');
    expect(ended[0]).toBeInstanceOf(TimeoutError);
    release();
    await app.stop();
    expect(ended).toHaveLength(1);
  });

  it('a hook that throws fails the worker attempts it wraps (as inline ones), and their messages take the failure path', async () => {
    const tasks: ExecutorTask[] = [];
    // An in-process executor: every message succeeds (the hook's failure must come first).
    const executor: Executor = {
      start: () => Promise.resolve(),
      run: (task) => {
        tasks.push(task);
        return Promise.resolve(task.messages.map(() => ({ ok: true as const })));
      },
      saturated: false,
      onCapacity: () => () => {},
      batchSize: () => 8,
      stats: () => ({}),
      close: () => Promise.resolve(),
    };
    const failures: string[] = [];
    const app = createApp({
      transport: createLaneTransport({ partitions: 1 }),
      logger: silent,
      executor,
      instrumentation: [
        {
          attempt: (info) => {
            if (info.key === 'bad') throw new Error('hook trouble');
            return undefined;
          },
        },
      ],
      handlers: [
        defineHandler({
          name: 'w',
          topic: 'work',
          worker: new URL('file:///never-loaded.js'),
          retry: { maxAttempts: 2, backoff: { initialMs: 1, maxMs: 1 } },
          deadLetter: false,
        }),
      ],
    });
    app.on('message.failed', (e) => failures.push(`${e.message.key} ${(e.error as Error).message}`));
    await app.start();
    await app.publish({ topic: 'work', key: 'bad', value: 1 });
    await until(() => failures.length === 2, 'both attempts failed');
    expect(failures).toEqual(['bad hook trouble', 'bad hook trouble']);
    expect(tasks).toHaveLength(0);
    await app.publish({ topic: 'work', key: 'good', value: 2 });
    await until(() => tasks.length === 1, 'the next message ran on the executor');
    await app.stop();
  });
});
