// The Kafka transport against its SPI contract, on a real broker, without the runtime.
import { afterEach, describe, expect, it } from 'vitest';
import { ClosedError, ConnectionError, TopicNotFoundError } from '@partita/core';
import type { SubscriptionSpec } from '@partita/core';
import type { KafkaTransport } from '@partita/kafka';
import {
  bytes,
  kafkaSkipReason,
  recordingSink,
  required,
  saslBrokers,
  saslCredentials,
  testTransport,
  text,
  unique,
  until,
} from './kafka-test-env.js';

const spec = (topic: string, group = unique('g')): SubscriptionSpec => ({
  group,
  topic,
  handler: 'h',
  maxInFlight: 64,
  timeoutMs: 30_000,
  maxAttempts: 3,
  startFrom: 'earliest',
});

describe.skipIf(kafkaSkipReason !== undefined)('kafka transport (real broker)', () => {
  const open: { close(): Promise<void> }[] = [];
  const track = <T extends { close(): Promise<void> }>(x: T): T => {
    open.push(x);
    return x;
  };
  afterEach(async () => {
    for (const x of open.splice(0).reverse()) await x.close().catch(() => {});
  });

  it('delivers published records to one lane per partition with key, headers and offsets', async () => {
    const t = track(testTransport());
    const topic = unique('rt');
    await t.publish(
      Array.from({ length: 20 }, (_, i) => ({
        topic,
        key: `k${i % 4}`,
        value: bytes(`v${i}`),
        headers: { n: String(i) },
      })),
    );
    const rec = recordingSink();
    track(await t.subscribe(spec(topic), rec.sink));
    await until(() => rec.records(topic).length === 20, '20 records');
    const main = rec.lanes.filter((l) => l.handle.id.topic === topic);
    expect(main.map((l) => l.handle.id.partition).sort()).toEqual([0, 1]);
    // retry tiers are lanes of their own
    expect(rec.lanes.map((l) => l.handle.id.topic)).toContain(`${topic}.retry.500ms`);
    for (const lane of main) {
      const offsets = lane.records.map((r) => Number(r.offset));
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      expect(offsets[0]).toBe(0);
      // one key stays in one partition
      for (const r of lane.records) expect(Number(text(r.value).slice(1)) % 4).toBe(Number(r.key!.slice(1)));
    }
    const r7 = rec.records(topic).find((r) => r.headers.n === '7')!;
    expect(text(r7.value)).toBe('v7');
    expect(r7.key).toBe('k3');
    expect(r7.timestamp).toBeGreaterThan(0);
  });

  it('stores commit metadata and hands it to the next assignment, which resumes at the committed offset', async () => {
    const t = track(testTransport({ partitions: 1 }));
    const topic = unique('cm');
    const group = unique('g');
    await t.publish(Array.from({ length: 10 }, (_, i) => ({ topic, value: bytes(`v${i}`), headers: {} })));
    const first = recordingSink();
    const sub = await t.subscribe(spec(topic, group), first.sink);
    await until(() => first.records(topic).length === 10, '10 records');
    expect(first.lane(topic, 0)!.handle.committedMetadata).toBeUndefined();
    await expect(first.lane(topic, 0)!.handle.commit('4', 'settled:6,8')).resolves.toBe(true);
    const handle = first.lane(topic, 0)!.handle;
    await sub.close();
    // a commit after the lane was revoked is refused, not thrown
    await expect(handle.commit('10')).resolves.toBe(false);
    expect(first.events).toContain(`revoked ${topic}/0`);

    const second = recordingSink();
    track(await t.subscribe(spec(topic, group), second.sink));
    await until(() => second.records(topic).length === 6, 'records from the committed offset');
    expect(second.lane(topic, 0)!.handle.committedMetadata).toBe('settled:6,8');
    expect(second.records(topic).map((r) => r.offset)).toEqual(['4', '5', '6', '7', '8', '9']);
  });

  it('moves lanes to a second member on rebalance; the first member revokes them and its commits report false', async () => {
    const t1 = track(testTransport());
    const t2 = track(testTransport());
    const topic = unique('rb');
    const group = unique('g');
    await t1.publish([
      { topic, partition: 0, value: bytes('a'), headers: {} },
      { topic, partition: 1, value: bytes('b'), headers: {} },
    ]);
    const a = recordingSink();
    track(await t1.subscribe(spec(topic, group), a.sink));
    await until(() => a.records(topic).length === 2, 'member A got both partitions');
    const before = a.live().map((l) => l.handle);
    const b = recordingSink();
    track(await t2.subscribe(spec(topic, group), b.sink));
    await until(
      () => b.live().length > 0 && a.live().length + b.live().length === before.length,
      'lanes split between A and B',
      90_000,
    );
    const lost = before.filter((h) => !a.live().some((l) => l.handle === h));
    expect(lost.length).toBeGreaterThan(0);
    for (const h of lost) {
      expect(a.events).toContain(`revoked ${h.id.topic}/${h.id.partition}`);
      await expect(h.commit('1')).resolves.toBe(false);
    }
    const mine = new Set(a.live().map((l) => `${l.handle.id.topic}/${l.handle.id.partition}`));
    const theirs = new Set(b.live().map((l) => `${l.handle.id.topic}/${l.handle.id.partition}`));
    expect([...mine].filter((k) => theirs.has(k))).toEqual([]);
  });

  it('pauses and resumes one lane while the other keeps flowing', async () => {
    const t = track(testTransport());
    const topic = unique('pr');
    const rec = recordingSink();
    track(await t.subscribe(spec(topic), rec.sink));
    await until(() => rec.lane(topic, 0) && rec.lane(topic, 1), 'both lanes assigned');
    rec.lane(topic, 0)!.handle.pause();
    await t.publish([
      ...Array.from({ length: 5 }, (_, i) => ({ topic, partition: 0, value: bytes(`p0-${i}`), headers: {} })),
      ...Array.from({ length: 5 }, (_, i) => ({ topic, partition: 1, value: bytes(`p1-${i}`), headers: {} })),
    ]);
    await until(() => rec.lane(topic, 1)!.records.length === 5, 'partition 1 flows');
    expect(rec.lane(topic, 0)!.records.length).toBe(0);
    rec.lane(topic, 0)!.handle.resume();
    await until(() => rec.lane(topic, 0)!.records.length === 5, 'partition 0 after resume');
  });

  it('holds a delayed record in its retry tier until it is due', async () => {
    const t = track(testTransport({ partitions: 1 }));
    const topic = unique('dl');
    const rec = recordingSink();
    track(await t.subscribe(spec(topic), rec.sink));
    const sentAt = Date.now();
    await t.publish([
      { topic, key: 'k', value: bytes('later'), headers: { h: '1' }, delayMs: 1_500 },
      { topic, value: bytes('now'), headers: {} },
    ]);
    await until(() => rec.records(`${topic}.retry.2s`).length === 1, 'the delayed record from tier 2s');
    const [late] = rec.records(`${topic}.retry.2s`);
    expect(text(late!.value)).toBe('later');
    expect(late!.key).toBe('k');
    expect(late!.headers.h).toBe('1');
    expect(Number(late!.headers['partita-deliver-at'])).toBeGreaterThanOrEqual(sentAt + 1_500);
    expect(Date.now()).toBeGreaterThanOrEqual(Number(late!.headers['partita-deliver-at']));
    expect(rec.records(topic).map((r) => text(r.value))).toEqual(['now']);
  });

  it('provisions the topic, its dead-letter topic and retry tiers with the configured partitions', async () => {
    const t = track(testTransport({ partitions: 3 }));
    const topic = unique('pv');
    track(await t.subscribe(spec(topic), recordingSink().sink));
    const admin = await t.kafkaAdmin();
    const meta = await admin.fetchTopicMetadata({
      topics: [topic, `${topic}.dlq`, `${topic}.retry.500ms`, `${topic}.retry.2s`],
    });
    expect(meta.topics.map((m) => m.partitions.length)).toEqual([3, 3, 3, 3]);
  });

  it('rejects publish to a missing topic with TopicNotFoundError when provisioning is off', async () => {
    const t = track(testTransport({ provisionTopics: false }));
    await expect(t.publish([{ topic: unique('missing'), value: bytes('x'), headers: {} }])).rejects.toBeInstanceOf(
      TopicNotFoundError,
    );
  });

  it('rejects publish after close with ClosedError, and close is idempotent', async () => {
    const t = testTransport();
    await t.publish([{ topic: unique('cl'), value: bytes('x'), headers: {} }]);
    await Promise.all([t.close(), t.close()]);
    await expect(t.publish([{ topic: unique('cl'), value: bytes('x'), headers: {} }])).rejects.toBeInstanceOf(
      ClosedError,
    );
    expect((await t.health()).status).toBe('down');
  });

  it('reports health with broker metadata and lag per lane', async () => {
    const t = track(testTransport({ partitions: 1, retryTiersMs: [] }));
    const topic = unique('hl');
    await t.publish(Array.from({ length: 5 }, (_, i) => ({ topic, value: bytes(`${i}`), headers: {} })));
    const rec = recordingSink();
    track(await t.subscribe(spec(topic), rec.sink));
    await until(() => rec.records(topic).length === 5, 'records');
    await rec.lane(topic, 0)!.handle.commit('2');
    const h = await t.health();
    expect(h.status).toBe('ok');
    expect(h.details?.brokers).toBe(1);
    expect(h.details?.lanes).toEqual([
      expect.objectContaining({ topic, partition: 0, committed: '2', highWatermark: '5', lag: 3 }),
    ]);
  });

  it('reports down and a ConnectionError when no broker answers', async () => {
    const t = track(testTransport({ brokers: ['127.0.0.1:1'], connectionTimeoutMs: 500, retry: { retries: 1 } }));
    expect((await t.health()).status).toBe('down');
    await expect(t.connect()).rejects.toBeInstanceOf(ConnectionError);
  });

  // Skips only when brokers are not required and the broker has no SASL listener (an external cluster).
  it.skipIf(saslBrokers.length === 0 && !required)('authenticates with SASL PLAIN and SCRAM-SHA-256', async () => {
    expect(saslBrokers, 'PARTITA_REQUIRE_BROKERS is set but the Kafka broker has no SASL listener').not.toEqual([]);
    for (const mechanism of ['plain', 'scram-sha-256'] as const) {
      const t = track(testTransport({ brokers: saslBrokers, sasl: { mechanism, ...saslCredentials } }));
      const topic = unique(`sasl-${mechanism}`);
      await t.publish([{ topic, value: bytes('secret-ok'), headers: {} }]);
      const rec = recordingSink();
      track(await t.subscribe(spec(topic), rec.sink));
      await until(() => rec.records(topic).length === 1, `record over ${mechanism}`);
    }
    const bad = track(
      testTransport({
        brokers: saslBrokers,
        sasl: { mechanism: 'plain', username: saslCredentials.username, password: 'wrong' },
      }),
    );
    const err = await bad.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(String((err as Error).message)).not.toContain('wrong');
  });
});

export type { KafkaTransport };
