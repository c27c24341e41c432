// NATS JetStream's TransportAdmin on a real server: subjects as topics,
// reads that create no consumer, lag per durable consumer, subject purge.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import {
  createConsoleLogger,
  ConfigError,
  createApp,
  defineHandler,
  recordId,
  TopicNotFoundError,
  type App,
} from '@partita/core';
import { natsTransport, type NatsTransport } from '@partita/nats';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { deleteStreamsFor, NATS_URL, natsAvailable, uniq, waitFor } from './nats-helpers.js';

const up = await natsAvailable();
const topics: string[] = [];
const quiet = createConsoleLogger({ level: 'silent' });
const enc = (s: string) => new TextEncoder().encode(JSON.stringify(s));
const dec = (v: Uint8Array | null) => (v === null ? null : (JSON.parse(new TextDecoder().decode(v)) as string));

describe.skipIf(!up)('nats transport.admin', () => {
  const closing: { close(): Promise<void> }[] = [];
  const apps: App[] = [];
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.stop({ drainTimeoutMs: 2_000 }).catch(() => {});
    for (const c of closing.splice(0)) await c.close().catch(() => {});
  });
  afterAll(() => deleteStreamsFor(topics));

  function transport(): NatsTransport {
    const t = natsTransport({ servers: [NATS_URL] });
    closing.push(t);
    return t;
  }

  async function seeded(count: number) {
    const t = transport();
    const topic = uniq('pt.adm');
    topics.push(topic);
    await t.publish(
      Array.from({ length: count }, (_, i) => ({
        topic,
        key: `k${i}`,
        value: enc(`v${i}`),
        headers: { n: String(i) },
      })),
    );
    await t.publish([{ topic: `${topic}.dlq`, value: enc('dead'), headers: {} }]);
    return { t, topic };
  }

  it('lists the topic and its dead-letter subject, and reads by sequence without creating a consumer', async () => {
    const { t, topic } = await seeded(3);
    const listed = (await t.admin.topics()).filter((x) => x.name.startsWith(topic));
    expect(listed).toEqual([
      { name: topic, partitions: 1, depth: 3, ends: ['5'] },
      { name: `${topic}.dlq`, partitions: 1, depth: 1, ends: ['5'] },
    ]);
    const all = await t.admin.read(topic);
    expect(all.map((r) => [r.partition, r.key, dec(r.value), r.headers.n])).toEqual([
      [0, 'k0', 'v0', '0'],
      [0, 'k1', 'v1', '1'],
      [0, 'k2', 'v2', '2'],
    ]);
    expect(all.every((r) => r.topic === topic && r.timestamp > 0)).toBe(true);
    // Positions are stream sequences; `from` is inclusive.
    const second = all[1]!.position;
    expect((await t.admin.read(topic, { from: second, limit: 1 })).map(recordId)).toEqual([`0:${second}`]);
    expect((await t.admin.read(topic, { from: second })).map((r) => r.key)).toEqual(['k1', 'k2']);
    // `latest` is the end; `ends` is where a tail follows from.
    expect(await t.admin.read(topic, { from: 'latest' })).toEqual([]);
    await t.publish([{ topic, key: 'new', value: enc('new'), headers: {} }]);
    expect((await t.admin.read(topic, { from: listed[0]!.ends![0]! })).map((r) => r.key)).toEqual(['new']);
    expect((await t.admin.read(`${topic}.dlq`)).map((r) => dec(r.value))).toEqual(['dead']);
    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await jetstreamManager(nc);
      expect(await jsm.consumers.list(await jsm.streams.find(topic)).next()).toEqual([]);
    } finally {
      await nc.close();
    }
    await expect(t.admin.read(topic, { partition: 1 })).rejects.toThrow(ConfigError);
    await expect(t.admin.read(topic, { from: 'soon' })).rejects.toThrow(/"from" must be/);
    await expect(t.admin.read(uniq('pt.absent'))).rejects.toThrow(TopicNotFoundError);
  });

  it('reports a group lag (pending + unacked): a backlog, then 0 once it caught up', async () => {
    const { t, topic } = await seeded(2);
    const group = uniq('g');
    let handled = 0;
    const app = createApp({
      transport: t,
      logger: quiet,
      handlers: [
        defineHandler({
          name: uniq('h'),
          group,
          topic,
          handle: () => {
            handled++;
          },
        }),
      ],
    });
    apps.push(app);
    await app.start();
    await waitFor(() => handled === 2, 'the group handled the seeded records');
    await waitFor(async () => {
      const lag = await t.admin.lag(group);
      return lag.length === 1 && lag[0]!.lag === 0 && lag[0]!.topic === topic && lag[0]!.partition === 0;
    }, 'lag 0');
    await app.stop();
    apps.length = 0;
    const t2 = transport();
    await t2.publish([
      { topic, value: enc('x'), headers: {} },
      { topic, value: enc('y'), headers: {} },
    ]);
    expect(await t2.admin.lag(group)).toEqual([{ group, topic, partition: 0, lag: 2 }]);
    expect((await t2.admin.lag()).filter((l) => l.group === group)).toHaveLength(1);
    expect(await t2.admin.lag(uniq('nobody'))).toEqual([]);
  });

  it('purges single records of the topic, refuses another subject, and purges the subject only', async () => {
    const { t, topic } = await seeded(3);
    const [first, second] = await t.admin.read(topic);
    const dead = (await t.admin.read(`${topic}.dlq`))[0]!;
    await expect(t.admin.purge(topic, [recordId(dead)])).rejects.toThrow(/is on subject/);
    await expect(t.admin.purge(topic, ['1:5'])).rejects.toThrow(/one partition, 0/);
    expect(await t.admin.purge(topic, [recordId(second!)])).toEqual({ removed: 1 });
    expect((await t.admin.read(topic)).map((r) => r.key)).toEqual(['k0', 'k2']);
    expect(await t.admin.purge(topic, [recordId(second!)])).toEqual({ removed: 0 });
    expect(await t.admin.purge(topic)).toEqual({ removed: 2 });
    expect(await t.admin.read(topic)).toEqual([]);
    // The dead-letter subject in the same stream stays.
    expect((await t.admin.read(`${topic}.dlq`)).map(recordId)).toEqual([recordId(dead)]);
    expect(first).toBeDefined();
  });

  it('says what to do in core mode', async () => {
    const t = natsTransport({ servers: [NATS_URL], mode: 'core' });
    closing.push(t);
    await expect(t.admin.topics()).rejects.toThrow(/core NATS mode.*JetStream mode/);
  });
});
