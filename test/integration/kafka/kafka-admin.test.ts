// Kafka's TransportAdmin on a real broker: topics, reads that move no group,
// lag from committed offsets, purge of a whole topic or a partition's prefix.
import { afterEach, describe, expect, it } from 'vitest';
import {
  createConsoleLogger,
  ConfigError,
  createApp,
  defineHandler,
  recordId,
  TopicNotFoundError,
  type App,
} from '@partita/core';
import { kafkaSkipReason, testTransport, unique, until } from './kafka-test-env.js';

const quiet = createConsoleLogger({ level: 'silent' });
const enc = (s: string) => new TextEncoder().encode(JSON.stringify(s));
const dec = (v: Uint8Array | null) => (v === null ? null : (JSON.parse(new TextDecoder().decode(v)) as string));

describe.skipIf(kafkaSkipReason !== undefined)('kafka transport.admin', () => {
  const closing: { close(): Promise<void> }[] = [];
  const apps: App[] = [];
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.stop({ drainTimeoutMs: 2_000 }).catch(() => {});
    for (const c of closing.splice(0)) await c.close().catch(() => {});
  });

  async function seeded(perPartition: number) {
    const t = testTransport({ partitions: 2 });
    closing.push(t);
    const topic = unique('adm');
    const records = [0, 1].flatMap((partition) =>
      Array.from({ length: perPartition }, (_, i) => ({
        topic,
        partition,
        key: `k${partition}-${i}`,
        value: enc(`v${partition}-${i}`),
        headers: { n: String(i) },
      })),
    );
    await t.publish(records);
    return { t, topic };
  }

  it('lists the topic with partitions and depth, and reads it oldest first without moving any group', async () => {
    const { t, topic } = await seeded(3);
    const info = (await t.admin.topics()).find((x) => x.name === topic);
    expect(info).toEqual({ name: topic, partitions: 2, depth: 6, ends: ['3', '3'] });
    expect((await t.admin.topics()).some((x) => x.name.startsWith('__'))).toBe(false);

    const p1 = await t.admin.read(topic, { partition: 1 });
    expect(p1.map((r) => [r.partition, r.position, r.key, dec(r.value), r.headers.n])).toEqual([
      [1, '0', 'k1-0', 'v1-0', '0'],
      [1, '1', 'k1-1', 'v1-1', '1'],
      [1, '2', 'k1-2', 'v1-2', '2'],
    ]);
    expect(p1.every((r) => r.topic === topic && r.timestamp > 0)).toBe(true);
    // `from` is inclusive, `limit` bounds the read.
    const tail = await t.admin.read(topic, { partition: 0, from: '1', limit: 1 });
    expect(tail.map(recordId)).toEqual(['0:1']);
    // `latest` is the end; `ends` is where a tail follows from.
    expect(await t.admin.read(topic, { from: 'latest' })).toEqual([]);
    await t.publish([{ topic, partition: 1, key: 'new', value: enc('new'), headers: {} }]);
    expect((await t.admin.read(topic, { from: info!.ends![1]!, partition: 1 })).map((r) => r.key)).toEqual(['new']);
    // Every partition, at most `limit` in all.
    const all = await t.admin.read(topic, { limit: 100 });
    expect(all.map(recordId).sort()).toEqual(['0:0', '0:1', '0:2', '1:0', '1:1', '1:2', '1:3']);
    expect(await t.admin.read(topic, { limit: 4 })).toHaveLength(4);
    // Reads join no group that lag() shows.
    expect((await t.admin.lag()).filter((l) => l.topic === topic)).toEqual([]);
    await expect(t.admin.read(topic, { partition: 7 })).rejects.toThrow(ConfigError);
    await expect(t.admin.read(topic, { from: 'yesterday' })).rejects.toThrow(/"from" must be/);
    await expect(t.admin.read(unique('absent'))).rejects.toThrow(TopicNotFoundError);
  });

  it('reports a group lag from its committed offsets: a backlog, then 0 once it caught up', async () => {
    const { t, topic } = await seeded(2);
    const group = unique('g');
    const seen: string[] = [];
    const handler = defineHandler({
      name: unique('h'),
      group,
      topic,
      handle: (m) => {
        seen.push(String(m.key));
      },
    });
    const app = createApp({ transport: t, logger: quiet, handlers: [handler] });
    apps.push(app);
    await app.start();
    await until(() => seen.length === 4, 'the group handled the seeded records');
    await until(async () => {
      const lag = (await t.admin.lag(group)).filter((l) => l.topic === topic);
      return lag.length === 2 && lag.every((l) => l.lag === 0 && l.committed === '2' && l.end === '2');
    }, 'lag 0 on both partitions');
    await app.stop(); // closes t
    apps.length = 0;
    const t2 = testTransport();
    closing.push(t2);
    await t2.publish([
      { topic, partition: 0, value: enc('x'), headers: {} },
      { topic, partition: 0, value: enc('y'), headers: {} },
      { topic, partition: 1, value: enc('z'), headers: {} },
    ]);
    const lag = (await t2.admin.lag(group)).filter((l) => l.topic === topic);
    expect(lag.map((l) => [l.group, l.topic, l.partition, l.committed, l.end, l.lag])).toEqual([
      [group, topic, 0, '2', '4', 2],
      [group, topic, 1, '2', '3', 1],
    ]);
    expect((await t2.admin.lag()).filter((l) => l.group === group && l.topic === topic)).toHaveLength(2);
    expect(await t2.admin.lag(unique('nobody'))).toEqual([]);
  });

  it('purges a prefix of a partition, refuses ids that are not one, and purges everything', async () => {
    const { t, topic } = await seeded(3);
    await expect(t.admin.purge(topic, ['0:1'])).rejects.toThrow(/only from its start.*starts at 0:0/);
    await expect(t.admin.purge(topic, ['zero'])).rejects.toThrow(/<partition>:<offset>/);
    expect(await t.admin.purge(topic, ['0:0', '0:1'])).toEqual({ removed: 2 });
    expect((await t.admin.read(topic)).map(recordId).sort()).toEqual(['0:2', '1:0', '1:1', '1:2']);
    expect((await t.admin.topics()).find((x) => x.name === topic)?.depth).toBe(4);
    expect(await t.admin.purge(topic)).toEqual({ removed: 4 });
    expect(await t.admin.read(topic)).toEqual([]);
    expect((await t.admin.topics()).find((x) => x.name === topic)?.depth).toBe(0);
  });
});
