import {
  createApp,
  defineHandler,
  NonRetryableError,
  type App,
  type Logger,
  type Message,
  type Transport,
  createConsoleLogger,
} from '@partita/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBroker } from '../broker/create-memory-broker.js';
import type { MemoryBroker } from '../broker/memory-broker.js';
import { waitFor } from '../testing-support/recording-sink.test-support.js';
import { memoryTransport } from './memory-transport.js';

const DELAY_MS = 300;
const quiet: Logger = createConsoleLogger({ level: 'silent' });
const uniq = (p: string): string => `${p}-${Math.random().toString(36).slice(2, 8)}`;
const apps: App[] = [];
const brokers: MemoryBroker[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.stop({ drainTimeoutMs: 2000 }).catch(() => {});
  for (const b of brokers.splice(0)) await b.close();
});

const committedAll = (b: MemoryBroker, group: string, topic: string, parts: number): number[] =>
  Array.from({ length: parts }, (_, p) => b.committed({ group, topic, partition: p })?.offset ?? 0);
const ends = (b: MemoryBroker, topic: string): number[] =>
  b
    .stats()
    .topics.find((t) => t.name === topic)!
    .partitions.map((p) => p.endOffset);

describe('createApp on memoryTransport (end to end)', () => {
  it('processes every message of 4 partitions in key order and commits the end offsets', async () => {
    const broker = createMemoryBroker({ defaultPartitions: 4 });
    brokers.push(broker);
    const topic = uniq('orders');
    const seen = new Map<string, number[]>();
    const app = createApp({
      transport: memoryTransport(broker),
      logger: quiet,
      handlers: [
        defineHandler<{ n: number }>({
          name: 'billing',
          topic,
          handle: (m: Message<{ n: number }>) => {
            seen.set(m.key!, [...(seen.get(m.key!) ?? []), m.value.n]);
          },
        }),
      ],
    });
    apps.push(app);
    await app.start();
    await app.publish(Array.from({ length: 2000 }, (_, n) => ({ topic, key: `c-${n % 50}`, value: { n } })));
    await waitFor(() => [...seen.values()].reduce((a, v) => a + v.length, 0) === 2000, 'all processed');
    for (const vals of seen.values()) expect(vals).toEqual([...vals].sort((a, b) => a - b));
    await app.stop();
    expect(committedAll(broker, 'billing', topic, 4)).toEqual(ends(broker, topic));
  });

  it('two apps sharing one broker split the partitions and hand them over on stop without losing messages', async () => {
    const broker = createMemoryBroker({ defaultPartitions: 4 });
    brokers.push(broker);
    const topic = uniq('events');
    const got: number[] = [];
    const mk = (): App =>
      createApp({
        transport: memoryTransport(broker),
        logger: quiet,
        handlers: [
          defineHandler<{ n: number }>({
            name: 'shared',
            topic,
            handle: (m: Message<{ n: number }>) => {
              got.push(m.value.n);
            },
          }),
        ],
      });
    const a = mk();
    const b = mk();
    apps.push(a, b);
    await a.start();
    await a.publish(Array.from({ length: 500 }, (_, n) => ({ topic, key: `k${n}`, value: { n } })));
    await b.start();
    expect(b.inspect().lanes.length).toBe(2);
    expect(a.inspect().lanes.filter((l) => l.state !== 'stopped').length).toBe(2);
    await b.publish(Array.from({ length: 500 }, (_, n) => ({ topic, key: `k${n}`, value: { n: n + 500 } })));
    await waitFor(() => new Set(got).size === 1000, 'all processed once at least');
    await a.stop();
    await b.publish(Array.from({ length: 100 }, (_, n) => ({ topic, key: `k${n}`, value: { n: n + 1000 } })));
    await waitFor(() => new Set(got).size === 1100, 'b took over a');
    await b.stop();
    expect(committedAll(broker, 'shared', topic, 4)).toEqual(ends(broker, topic));
  });

  it('retry mode delayed goes through native delay; NonRetryableError lands in the dead-letter topic with stats by reason', async () => {
    const broker = createMemoryBroker({ defaultPartitions: 2 });
    brokers.push(broker);
    const topic = uniq('jobs');
    const attempts = new Map<number, number[]>();
    const order: string[] = [];
    const failedAt = new Map<number, number>();
    const retriedAt = new Map<number, number>();
    const app = createApp({
      transport: memoryTransport(broker),
      logger: quiet,
      handlers: [
        defineHandler<{ n: number }>({
          name: 'worker',
          topic,
          retry: { maxAttempts: 3, mode: 'delayed', backoff: { initialMs: DELAY_MS, maxMs: DELAY_MS, jitter: 0 } },
          handle: (m: Message<{ n: number }>) => {
            attempts.set(m.value.n, [...(attempts.get(m.value.n) ?? []), m.attempt]);
            order.push(`${m.value.n}#${m.attempt}`);
            if (m.value.n === 0) throw new NonRetryableError('poison');
            if (m.value.n % 2 === 1 && m.attempt === 1) {
              failedAt.set(m.value.n, Date.now());
              throw new Error('transient');
            }
            if (m.attempt === 2) retriedAt.set(m.value.n, Date.now());
          },
        }),
      ],
    });
    apps.push(app);
    const handoffFailures: unknown[] = [];
    app.on('message.retry-handoff-failed', (e) => handoffFailures.push(e));
    await app.start();
    await app.publish(Array.from({ length: 10 }, (_, n) => ({ topic, key: `k${n % 2}`, value: { n } })));
    await waitFor(
      () => broker.stats().deadLetters.total === 1 && [1, 3, 5, 7, 9].every((n) => attempts.get(n)?.length === 2),
      'retries and dead letter',
    );
    expect(attempts.get(3)).toEqual([1, 2]);
    expect(handoffFailures).toEqual([]);
    expect(app.inspect().metrics.retryHandoffFailures).toBe(0);
    // Through the broker's delay: each retry comes no earlier than its delay (1 ms of timer slack)...
    for (const n of [1, 3, 5, 7, 9]) expect(retriedAt.get(n)! - failedAt.get(n)!).toBeGreaterThanOrEqual(DELAY_MS - 1);
    // ...and the partition flows meanwhile: every first attempt on key k1 comes before any retry.
    const firstRetry = order.findIndex((o) => o.endsWith('#2'));
    expect(order.slice(firstRetry).filter((o) => o.endsWith('#1'))).toEqual([]);
    expect(broker.stats().deadLetters.byTopic[topic]).toEqual({ total: 1, byReason: { 'non-retryable': 1 } });
    expect(await memoryTransport(broker).admin.read(`${topic}.dlq`)).toHaveLength(1);
    await app.stop();
  });

  it('a delayed retry the broker refuses is visible (event, metric, warning) and retried in place after its delay', async () => {
    const broker = createMemoryBroker({ defaultPartitions: 1 });
    brokers.push(broker);
    const topic = uniq('refused');
    const inner = memoryTransport(broker);
    const refusal = new Error('delayed publish refused');
    // The transport is a class: delegate member by member (a spread would drop its methods).
    const transport: Transport = {
      name: inner.name,
      capabilities: inner.capabilities,
      connect: () => inner.connect(),
      subscribe: (spec, sink) => inner.subscribe(spec, sink),
      health: () => inner.health(),
      close: () => inner.close(),
      publish: (rs) => (rs.some((r) => r.delayMs !== undefined) ? Promise.reject(refusal) : inner.publish(rs)),
    };
    const warnings: string[] = [];
    const collect = (line: string): void => {
      const { level, msg } = JSON.parse(line) as { level: string; msg: string };
      if (level === 'warn') warnings.push(msg);
    };
    const attempts: number[] = [];
    let failedAt = 0;
    let retriedAt = 0;
    const app = createApp({
      transport,
      logger: createConsoleLogger({ level: 'warn', destination: { write: collect } }),
      handlers: [
        defineHandler<{ n: number }>({
          name: 'refused',
          topic,
          retry: { maxAttempts: 3, mode: 'delayed', backoff: { initialMs: DELAY_MS, maxMs: DELAY_MS, jitter: 0 } },
          handle: (m: Message<{ n: number }>) => {
            attempts.push(m.attempt);
            if (m.attempt === 1) {
              failedAt = Date.now();
              throw new Error('transient');
            }
            retriedAt = Date.now();
          },
        }),
      ],
    });
    apps.push(app);
    const handoffFailures: { error: unknown; delayMs: number; attempt: number }[] = [];
    app.on('message.retry-handoff-failed', (e) =>
      handoffFailures.push({ error: e.error, delayMs: e.delayMs, attempt: e.message.attempt }),
    );
    await app.start();
    await app.publish({ topic, key: 'k', value: { n: 1 } });
    await waitFor(() => attempts.length === 2, 'the in-place retry');
    expect(attempts).toEqual([1, 2]);
    expect(handoffFailures).toEqual([{ error: refusal, delayMs: DELAY_MS, attempt: 1 }]);
    expect(app.inspect().metrics.retryHandoffFailures).toBe(1);
    expect(warnings).toContain('delayed retry hand-off failed; retrying in place');
    expect(retriedAt - failedAt).toBeGreaterThanOrEqual(DELAY_MS - 1);
    await app.stop();
    expect(broker.committed({ group: 'refused', topic, partition: 0 })?.offset).toBe(1);
  });
});
