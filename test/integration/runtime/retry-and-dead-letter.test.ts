// Issue 11, "Retry and dead-letter": a delayed retry reaches only the group
// that failed it; dead-letter headers describe the original record; a stuck
// dead-letter publish bounds what the lane holds; a copy refused as too
// large is slimmed, never dropped. On the embedded broker.
import { describe, expect, it } from 'vitest';
import {
  createApp,
  defineHandler,
  DLQ_HEADERS,
  MessageTooLargeError,
  NonRetryableError,
  type App,
} from '@partita/core';
import { memoryTransport } from '@partita/memory';
import { waitFor } from '@partita/testing';
import { memoryBroker, quiet, stoppedAfterTest, uniq } from '../support/app-harness.js';
import { faultyTransport, recordBytes, type Faults } from './fault-transport.js';

const memory = memoryBroker;
const track = (app: App): App => stoppedAfterTest(app, 1000);
const count = (m: Map<number, number>, n: number): void => void m.set(n, (m.get(n) ?? 0) + 1);

describe('retry and dead-letter', () => {
  it('a delayed retry reaches only the group that failed it', async () => {
    const b = memory(2);
    const topic = uniq('orders');
    const byA = new Map<number, number>();
    const byB = new Map<number, number>();
    const app = track(
      createApp({
        transport: memoryTransport(b),
        logger: quiet,
        handlers: [
          defineHandler<{ n: number }>({
            name: uniq('a'),
            topic,
            retry: { mode: 'delayed', maxAttempts: 3, backoff: { initialMs: 5, jitter: 0 } },
            handle(m) {
              count(byA, m.value.n);
              if (m.attempt === 1) throw new Error('transient');
            },
          }),
          defineHandler<{ n: number }>({ name: uniq('b'), topic, handle: (m) => count(byB, m.value.n) }),
        ],
      }),
    );
    await app.start();
    await app.publish(Array.from({ length: 50 }, (_, n) => ({ topic, key: `k${n % 7}`, value: { n } })));
    await waitFor(() => byA.size === 50 && [...byA.values()].every((c) => c === 2) && byB.size === 50, {
      description: 'all handled',
    });
    await app.stop();
    expect(
      [...byB.values()].every((c) => c === 1),
      `group B handled a retry copy: ${JSON.stringify([...byB])}`,
    ).toBe(true);
    expect([...byA.values()].every((c) => c === 2)).toBe(true);
  });

  it('after a delayed retry, the dead-letter headers describe the record as first published', async () => {
    const b = memory(1);
    const topic = uniq('jobs');
    const app = track(
      createApp({
        transport: memoryTransport(b),
        logger: quiet,
        handlers: [
          defineHandler({
            name: uniq('h'),
            topic,
            retry: { mode: 'delayed', maxAttempts: 2, backoff: { initialMs: 5, jitter: 0 } },
            handle() {
              throw new Error('always');
            },
          }),
        ],
      }),
    );
    await app.start();
    await app.publish([
      { topic, key: 'first', value: 0 },
      { topic, key: 'k', value: 1 },
    ]);
    await waitFor(() => b.stats().deadLetters.total === 2, { description: 'both dead-lettered' });
    const dead = (await memoryTransport(b).admin.read(`${topic}.dlq`)).find((d) => d.key === 'k')!;
    expect(dead.headers[DLQ_HEADERS.topic]).toBe(topic);
    expect(dead.headers[DLQ_HEADERS.partition]).toBe('0');
    expect(dead.headers[DLQ_HEADERS.offset]).toBe('1'); // its first offset, not the retry copy's
    expect(dead.headers[DLQ_HEADERS.key]).toBe('k');
    expect(dead.headers[DLQ_HEADERS.attempts]).toBe('2');
    expect(dead.headers['partita-attempt']).toBeUndefined();
  });

  it('a dead-letter publish that keeps failing pauses the lane: what it holds stays bounded, and it catches up when healed', async () => {
    const b = memory(1);
    const topic = uniq('flow');
    const group = uniq('h');
    const faults: Faults = {
      publish: (r) => (r.topic.endsWith('.dlq') ? new Error('dead-letter topic unavailable') : undefined),
    };
    let paused = 0;
    let handled = 0;
    const app = track(
      createApp({
        transport: faultyTransport(memoryTransport(b), faults),
        logger: quiet,
        handlers: [
          defineHandler<{ n: number }>({
            name: group,
            topic,
            ordering: 'none',
            handle(m) {
              if (m.value.n === 0) throw new NonRetryableError('poison');
              handled++;
            },
          }),
        ],
      }),
    );
    app.on('lane.paused', () => paused++);
    await app.start();
    const total = 100_001;
    for (let i = 0; i < total; i += 10_000) {
      await app.publish(
        Array.from({ length: Math.min(10_000, total - i) }, (_, j) => ({ topic, value: { n: i + j } })),
      );
    }
    await waitFor(() => paused > 0, { description: 'lane paused' });
    await waitFor(() => app.inspect().lanes[0]!.inFlight === 0, { description: 'in-flight done' });
    const held = app.inspect().lanes[0]!.received;
    // High-water mark 2,048 entries, plus at most one delivery batch (1,000) in flight when the lane paused.
    expect(held).toBeLessThanOrEqual(2048 + 1000);
    faults.publish = undefined;
    await waitFor(() => handled === total - 1 && b.committed({ group, topic, partition: 0 })?.offset === total, {
      description: 'caught up',
      timeoutMs: 120_000,
    });
    expect(b.stats().deadLetters.total).toBe(1);
  });

  it.each([
    ['without its stack', 2500],
    ['with a shortened error message', 1400],
  ])(
    'a dead-letter copy refused as too large is published %s; value and original headers kept',
    async (_what, extraBytes) => {
      const b = memory(1);
      const topic = uniq('big');
      const value = { blob: 'v'.repeat(1024) };
      let limit = Infinity;
      const faults: Faults = {
        publish: (r) =>
          r.topic.endsWith('.dlq') && recordBytes(r) > limit
            ? new MessageTooLargeError(`record of ${recordBytes(r)} bytes is over ${limit}`, { maxBytes: limit })
            : undefined,
      };
      const app = track(
        createApp({
          transport: faultyTransport(memoryTransport(b), faults),
          logger: quiet,
          handlers: [
            defineHandler({
              name: uniq('h'),
              topic,
              handle() {
                throw new NonRetryableError('x'.repeat(3000));
              },
            }),
          ],
        }),
      );
      await app.start();
      const original =
        Buffer.byteLength(JSON.stringify(value)) + Buffer.byteLength('application/json') + 'content-type'.length + 1;
      limit = original + extraBytes;
      await app.publish({ topic, key: 'k', value });
      await waitFor(() => b.stats().deadLetters.total === 1, { description: 'dead-lettered', timeoutMs: 15_000 });
      const dead = (await memoryTransport(b).admin.read(`${topic}.dlq`))[0]!;
      expect(JSON.parse(Buffer.from(dead.value!).toString())).toEqual(value);
      expect(dead.headers['content-type']).toBe('application/json');
      for (const h of [DLQ_HEADERS.topic, DLQ_HEADERS.partition, DLQ_HEADERS.offset, DLQ_HEADERS.key])
        expect(dead.headers[h]).toBeDefined();
      expect(dead.headers[DLQ_HEADERS.errorStack]).toBeUndefined();
      expect(dead.headers[DLQ_HEADERS.errorName]).toBe('NonRetryableError');
    },
  );
});
