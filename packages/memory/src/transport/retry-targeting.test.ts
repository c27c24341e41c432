import {
  createApp,
  defineHandler,
  NonRetryableError,
  redriveDeadLetters,
  type App,
  type Logger,
  type Message,
  createConsoleLogger,
} from '@partita/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBroker } from '../broker/create-memory-broker.js';
import type { MemoryBroker } from '../broker/memory-broker.js';
import { waitFor } from '../testing-support/recording-sink.test-support.js';
import { memoryTransport } from './memory-transport.js';

const quiet: Logger = createConsoleLogger({ level: 'silent' });
const uniq = (p: string): string => `${p}-${Math.random().toString(36).slice(2, 8)}`;
const apps: App[] = [];
const brokers: MemoryBroker[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.stop({ drainTimeoutMs: 2000 }).catch(() => {});
  for (const b of brokers.splice(0)) await b.close();
});

const count = (m: Map<number, number>, n: number): void => {
  m.set(n, (m.get(n) ?? 0) + 1);
};

describe('retry copies and redrives reach only the group that failed them (issue 11.7)', () => {
  it('groups A and B on one topic: A fails each message once with a delayed retry; B handles each once, A twice', async () => {
    const broker = createMemoryBroker({ defaultPartitions: 2 });
    brokers.push(broker);
    const topic = uniq('orders');
    const a = new Map<number, number>();
    const b = new Map<number, number>();
    const app = createApp({
      transport: memoryTransport(broker),
      logger: quiet,
      handlers: [
        defineHandler<{ n: number }>({
          name: 'group-a',
          topic,
          retry: { maxAttempts: 3, mode: 'delayed', backoff: { initialMs: 5, maxMs: 5, jitter: 0 } },
          handle: (m: Message<{ n: number }>) => {
            count(a, m.value.n);
            if (m.attempt === 1) throw new Error('transient');
          },
        }),
        defineHandler<{ n: number }>({
          name: 'group-b',
          topic,
          handle: (m: Message<{ n: number }>) => {
            count(b, m.value.n);
          },
        }),
      ],
    });
    apps.push(app);
    await app.start();
    await app.publish(Array.from({ length: 20 }, (_, n) => ({ topic, key: `k${n}`, value: { n } })));
    await waitFor(() => a.size === 20 && [...a.values()].every((c) => c === 2), 'A handled every message twice');
    // once both groups committed up to the end (the retry copies included), their counts are final
    await waitFor(
      () =>
        broker.stats().groups.filter((g) => g.topic === topic).length === 2 &&
        broker
          .stats()
          .groups.filter((g) => g.topic === topic)
          .every((g) => g.partitions.every((p) => p.lag === 0)),
      'both groups caught up',
    );
    expect(b.size).toBe(20);
    expect([...b.values()].every((c) => c === 1)).toBe(true);
    expect([...a.values()].every((c) => c === 2)).toBe(true);
  });

  it('redrive: A dead-letters a message, redrive sends it back and only A handles it again', async () => {
    const broker = createMemoryBroker({ defaultPartitions: 1 });
    brokers.push(broker);
    const topic = uniq('payments');
    const a: number[] = [];
    const b: number[] = [];
    let poison = true;
    let redrivenHeaders: Record<string, string> | undefined;
    const app = createApp({
      transport: memoryTransport(broker),
      logger: quiet,
      handlers: [
        defineHandler<{ n: number }>({
          name: 'group-a',
          topic,
          handle: (m: Message<{ n: number }>) => {
            a.push(m.value.n);
            if (!poison && m.value.n === 7) redrivenHeaders = { ...m.headers };
            if (poison && m.value.n === 7) throw new NonRetryableError('poison');
          },
        }),
        defineHandler<{ n: number }>({
          name: 'group-b',
          topic,
          handle: (m: Message<{ n: number }>) => {
            b.push(m.value.n);
          },
        }),
      ],
    });
    apps.push(app);
    await app.start();
    await app.publish(Array.from({ length: 10 }, (_, n) => ({ topic, key: `k${n}`, value: { n } })));
    await waitFor(
      () => broker.stats().deadLetters.total === 1 && b.length === 10 && a.length === 10,
      'dead-lettered by A',
    );
    const transport = memoryTransport(broker);
    const [dl] = await transport.admin.read(`${topic}.dlq`);
    expect(dl!.headers['partita-group']).toBe('group-a');
    poison = false;
    expect((await redriveDeadLetters(transport, { topic: `${topic}.dlq` })).redriven).toBe(1);
    await waitFor(() => a.length === 11, 'A handled the redriven message');
    await waitFor(
      () =>
        broker.stats().groups.filter((g) => g.topic === topic).length === 2 &&
        broker
          .stats()
          .groups.filter((g) => g.topic === topic)
          .every((g) => g.partitions.every((p) => p.lag === 0)),
      'both groups caught up',
    );
    expect(a.filter((n) => n === 7)).toEqual([7, 7]);
    expect(b.filter((n) => n === 7)).toEqual([7]);
    expect(b.length).toBe(10);
    // the redriven copy keeps its origin, not the failure's details
    expect(redrivenHeaders!['partita-target-group']).toBe('group-a');
    expect(redrivenHeaders!['partita-original-topic']).toBe(topic);
    expect(redrivenHeaders!['partita-original-offset']).toBe('7');
    expect(redrivenHeaders!['partita-error-stack']).toBeUndefined();
    expect(redrivenHeaders!['partita-group']).toBeUndefined();
  });
});
