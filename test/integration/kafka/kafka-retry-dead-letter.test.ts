// Delayed retries and dead letters through the runtime on a real broker:
// a retry copy reaches only the group that failed it, and a dead-letter copy
// that the broker refuses as too large is trimmed until it fits.
import { afterEach, describe, expect, it } from 'vitest';
import {
  createConsoleLogger,
  createApp,
  defineHandler,
  DLQ_HEADERS,
  MessageTooLargeError,
  NonRetryableError,
} from '@partita/core';
import type { App } from '@partita/core';
import { headerText, rawReader } from './kafka-raw-client.js';
import { kafkaSkipReason, testTransport, unique, until } from './kafka-test-env.js';

const quiet = createConsoleLogger({ level: 'silent' });
type V = { id: string; pad?: string };

describe.skipIf(kafkaSkipReason !== undefined)('kafka delayed retry and dead letters', () => {
  const closing: { close(): Promise<void> }[] = [];
  const apps: App[] = [];
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.stop({ drainTimeoutMs: 2_000 }).catch(() => {});
    for (const c of closing.splice(0)) await c.close().catch(() => {});
  });

  it('groups A and B on one topic: A fails each message once (delayed), B handles every message exactly once, A exactly twice', async () => {
    const topic = unique('groups');
    const groupA = unique('A');
    const groupB = unique('B');
    const count = 20;
    const byA = new Map<string, number>();
    const byB = new Map<string, number>();
    const bump = (m: Map<string, number>, id: string) => m.set(id, (m.get(id) ?? 0) + 1);
    const transport = testTransport({ partitions: 2, retryTiersMs: [500, 2_000] });
    const app = createApp({
      transport,
      logger: quiet,
      handlers: [
        defineHandler<V>({
          name: unique('a'),
          group: groupA,
          topic,
          retry: { maxAttempts: 3, mode: 'delayed', backoff: { initialMs: 200, jitter: 0 } },
          handle: (m) => {
            bump(byA, m.value.id);
            if (m.attempt === 1) throw new Error('first attempt fails');
          },
        }),
        defineHandler<V>({
          name: unique('b'),
          group: groupB,
          topic,
          handle: (m) => {
            bump(byB, m.value.id);
          },
        }),
      ],
    });
    apps.push(app);
    await app.start();
    const ids = Array.from({ length: count }, (_, i) => `m${i}`);
    await app.publish(ids.map((id, i) => ({ topic, key: `k${i % 5}`, value: { id } })));
    await until(() => ids.every((id) => byA.get(id) === 2), 'A handled every message twice');
    // B settles A's retry copies unhandled: wait until B's group committed every tier partition to its end
    const admin = await transport.kafkaAdmin();
    const tiers = [`${topic}.retry.500ms`, `${topic}.retry.2s`];
    await until(async () => {
      for (const tier of tiers) {
        const ends = await admin.fetchTopicOffsets(tier);
        const [committed] = await admin.fetchOffsets({ groupId: groupB, topics: [tier] });
        for (const e of ends) {
          if (e.high === '0') continue;
          const c = committed!.partitions.find((p) => p.partition === e.partition)?.offset;
          if (c !== e.high) return false;
        }
      }
      return true;
    }, 'group B past every retry copy');
    const tierRecords = (await Promise.all(tiers.map((t) => admin.fetchTopicOffsets(t))))
      .flat()
      .reduce((n, e) => n + Number(e.high), 0);
    expect(tierRecords).toBe(count);
    expect(Object.fromEntries(byB)).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    expect(Object.fromEntries(byA)).toEqual(Object.fromEntries(ids.map((id) => [id, 2])));
  });

  it("a record above the topic's max.message.bytes is refused with MessageTooLargeError; the producer stays usable", async () => {
    const topic = unique('toolarge');
    const transport = testTransport({ partitions: 1, retryTiersMs: [] });
    closing.push(transport);
    const admin = await transport.kafkaAdmin();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'max.message.bytes', value: '2000' }],
        },
      ],
    });
    const err = await transport
      .publish([{ topic, value: new Uint8Array(5_000), headers: {} }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MessageTooLargeError);
    expect((err as MessageTooLargeError).retryable).toBe(false);
    await transport.publish([{ topic, value: new Uint8Array(500), headers: {} }]);
    const [end] = await admin.fetchTopicOffsets(topic);
    expect(end!.high).toBe('1');
  });

  it('a dead-letter copy too large for <topic>.dlq is trimmed (stack, then message) and lands with its whole payload and original-* headers', async () => {
    const topic = unique('large');
    const dlqTopic = `${topic}.dlq`;
    const pad = 'p'.repeat(20_000);
    const value = JSON.stringify({ id: 'big', pad });
    const payloadBytes = Buffer.byteLength(value);
    const transport = testTransport({ partitions: 1, retryTiersMs: [] });
    closing.push(transport);
    const admin = await transport.kafkaAdmin();
    // room for the payload, the origin headers and the short partita headers; not for the stack (4 KiB) nor the message (1 KiB)
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: dlqTopic,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'max.message.bytes', value: String(payloadBytes + 1_000) }],
        },
      ],
    });
    const longMessage = `refused: ${'m'.repeat(3_000)}`;
    const app = createApp({
      transport: testTransport({ partitions: 1, retryTiersMs: [] }),
      logger: quiet,
      handlers: [
        defineHandler<V>({
          name: unique('h'),
          topic,
          handle: () => {
            const err = new NonRetryableError(longMessage);
            err.stack = `${err.name}: ${longMessage}\n${'    at deep (file:///a/very/long/path/to/module.js:1:1)\n'.repeat(200)}`;
            throw err;
          },
        }),
      ],
    });
    apps.push(app);
    await app.start();
    await app.publish({ topic, key: 'big-key', value: { id: 'big', pad } });
    const reader = await rawReader([dlqTopic]);
    closing.push(reader);
    const copy = await until(() => reader.records[0], 'the trimmed dead-letter copy', 90_000);
    expect(copy.value?.toString()).toBe(value);
    expect(copy.key?.toString()).toBe('big-key');
    expect(headerText(copy.headers, DLQ_HEADERS.topic)).toBe(topic);
    expect(headerText(copy.headers, DLQ_HEADERS.partition)).toBe('0');
    expect(headerText(copy.headers, DLQ_HEADERS.offset)).toBe('0');
    expect(headerText(copy.headers, DLQ_HEADERS.key)).toBe('big-key');
    expect(headerText(copy.headers, DLQ_HEADERS.reason)).toBe('non-retryable');
    // the stack went first; the message only if it had to
    const stack = headerText(copy.headers, DLQ_HEADERS.errorStack) ?? '';
    expect(stack.length).toBeLessThan(1_000);
    const message = headerText(copy.headers, DLQ_HEADERS.errorMessage) ?? '';
    expect(message === '' || message.startsWith('refused: m'), message.slice(0, 40)).toBe(true);
    expect(Buffer.byteLength(message)).toBeLessThan(1_000);
    expect(reader.records).toHaveLength(1);
  });
});
