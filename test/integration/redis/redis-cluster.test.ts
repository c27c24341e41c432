import { Cluster } from 'ioredis';
import { createConsoleLogger, createApp, defineHandler, DLQ_HEADERS, type App } from '@partita/core';
import { RedisKeys, redisTransport, type RedisTransportOptions } from '@partita/redis';
import { brokersRequired, createLedger, formatLedgerReport, waitFor } from '@partita/testing';
import { conformanceSuite } from '@partita/testing/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from './redis-helpers.js';
import { hasRedisCluster, REDIS_CLI_BIN, RedisClusterProcess } from './redis-cluster-process.js';

// Its own 3-master Redis Cluster (spare ports, killed after): never the machine's shared server.
const missing = hasRedisCluster() ? undefined : `no redis-server/redis-cli binaries (${REDIS_CLI_BIN})`;
if (missing !== undefined && brokersRequired()) throw new Error(`the Redis Cluster tests need ${missing}`);
const quiet = createConsoleLogger({ level: 'silent' });
const WAIT = { timeoutMs: 120_000, intervalMs: 25 };
const keyPrefix = uniquePrefix('cluster');
const keys = new RedisKeys(keyPrefix);
const apps: App[] = [];
let cluster: RedisClusterProcess | undefined;
let client: Cluster | undefined;

beforeAll(async () => {
  if (missing !== undefined) return;
  cluster = await RedisClusterProcess.start(3);
  client = new Cluster(cluster.nodes.map((n) => new URL(n)).map((u) => ({ host: u.hostname, port: Number(u.port) })));
}, 120_000);
afterAll(async () => {
  await Promise.allSettled(apps.map((a) => a.stop({ drainTimeoutMs: 2000 })));
  client?.disconnect();
  await cluster?.stop();
});

const transport = (extra: RedisTransportOptions = {}) =>
  redisTransport({ cluster: { nodes: cluster!.nodes }, keyPrefix, leaseMs: 2000, commandTimeoutMs: 3000, ...extra });

/** The master (`host:port`) serving a key's slot, by the test's own cluster client. */
const nodeOf = (key: string): string => client!.slots[Number(clusterSlot(key))]![0]!;
const slots = new Map<string, number>();
const clusterSlot = (key: string): number => slots.get(key)!;
async function learnSlots(...ks: string[]): Promise<void> {
  for (const k of ks) slots.set(k, await cluster!.keySlot(k));
}

conformanceSuite({
  name: 'redis-cluster',
  createTransport: () =>
    transport({
      // Several partitions, so group members own distinct lanes (and the lanes read from several nodes).
      partitions: 4,
      claimTimeoutMs: 5000,
    }),
  available: () => (cluster !== undefined ? true : (missing ?? 'the cluster did not start')),
  // No fault proxy: cluster nodes announce their own addresses, so clients would bypass it.
  bulkMessages: 5000,
});

describe.skipIf(missing !== undefined)('Redis Cluster', () => {
  it("keeps every key of a script or transaction in one slot, and spreads a topic's partitions over the masters", async () => {
    const topic = 'spread';
    const streams = Array.from({ length: 4 }, (_, p) => keys.stream(topic, p));
    const partitionKeys = (p: number): string[] => [
      keys.stream(topic, p),
      keys.delayed(topic, p),
      keys.delayedData(topic, p),
      keys.lease(topic, 'billing', p),
      keys.fence(topic, 'billing', p),
    ];
    await learnSlots(...[0, 1, 2, 3].flatMap(partitionKeys));
    for (let p = 0; p < 4; p++) {
      expect(new Set(partitionKeys(p).map(clusterSlot)).size, `partition ${p}'s keys share one slot`).toBe(1);
    }
    await client!.ping();
    expect(new Set(streams.map(nodeOf)).size, 'the four partitions live on more than one master').toBeGreaterThan(1);
  });

  it('dead-letters a poison message after exactly maxAttempts, the copy in its own slot, the entry acked', async () => {
    const topic = 'poison';
    const group = 'poison-group';
    const source = keys.stream(topic, 0);
    const dlq = keys.stream(`${topic}.dlq`, 0);
    await learnSlots(source, dlq);
    await client!.ping();
    expect(nodeOf(dlq), 'the dead-letter stream lives on another master than the source').not.toBe(nodeOf(source));
    const attempts: number[] = [];
    const app = createApp({
      transport: transport(),
      logger: quiet,
      handlers: [
        defineHandler<{ id: string }>({
          name: group,
          topic,
          retry: { maxAttempts: 3, mode: 'delayed', backoff: { initialMs: 50, multiplier: 1, maxMs: 50, jitter: 0 } },
          handle(m) {
            attempts.push(m.attempt);
            throw new Error(`poison ${m.value.id}`);
          },
        }),
      ],
    });
    apps.push(app);
    await app.start();
    await app.publish({ topic, key: 'p-1', value: { id: 'bad' } });
    await waitFor(async () => (await client!.xlen(dlq)) === 1, { ...WAIT, description: 'the dead letter' });
    await waitFor(async () => Number((await client!.xpending(source, group))[0]) === 0, {
      ...WAIT,
      description: 'the poison entry acknowledged',
    });
    expect(attempts).toEqual([1, 2, 3]);
    const letters = await client!.xrange(dlq, '-', '+');
    const fields = letters[0]![1];
    const f = new Map(fields.flatMap((v, i) => (i % 2 ? [] : [[v, fields[i + 1]!] as const])));
    const headers = JSON.parse(f.get('h')!) as Record<string, string>;
    expect(headers[DLQ_HEADERS.attempts]).toBe('3');
    expect(headers[DLQ_HEADERS.group]).toBe(group);
    expect(JSON.parse(f.get('v')!)).toEqual({ id: 'bad' });
    await app.stop({ drainTimeoutMs: 1000 });
    expect(attempts).toEqual([1, 2, 3]);
    expect(await client!.xlen(dlq)).toBe(1);
    // The admin finds topics on every master (SCAN per node).
    const admin = transport();
    try {
      const names = (await admin.admin.topics()).map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining([topic, `${topic}.dlq`]));
    } finally {
      await admin.close();
    }
  });

  it('hands partitions over between two members with per-key order: drain and release first, replay first', async () => {
    const topic = 'handover';
    const group = 'billing';
    const ledger = createLedger();
    const member = async (label: string): Promise<App> => {
      const app = createApp({
        transport: transport({ partitions: 4, consumerName: label, leaseMs: 1000 }),
        logger: quiet,
        handlers: [
          defineHandler<{ id: string }>({
            name: group,
            topic,
            ordering: 'key',
            maxInFlight: 16,
            async handle(m) {
              // Slow enough that the hand-over happens with messages in flight and buffered.
              await new Promise((r) => setTimeout(r, 20));
              ledger.recordHandled({ id: m.value.id, key: m.key, by: label, attempt: m.attempt });
            },
          }),
        ],
      });
      apps.push(app);
      await app.start();
      return app;
    };
    const owned = (app: App): number => app.inspect().lanes.filter((l) => l.state !== 'stopped').length;
    let next = 0;
    const publisher = createApp({ transport: transport({ partitions: 4 }), logger: quiet });
    apps.push(publisher);
    await publisher.start();
    const publishSome = async (n: number): Promise<void> => {
      const batch = Array.from({ length: n }, () => {
        const i = next++;
        return { topic, key: `k${i % 20}`, value: { id: `h-${i}` } };
      });
      await publisher.publish(batch);
      ledger.recordPublished(batch.map((m) => ({ id: m.value.id, key: m.key })));
    };

    // "a-first" sorts before "b-second": alone it owns all four partitions, then two each.
    const a = await member('a-first');
    await waitFor(() => owned(a) === 4, { ...WAIT, description: 'the first member to own all four partitions' });
    await publishSome(400);
    await waitFor(() => ledger.report().handled > 50, { ...WAIT, description: 'messages flowing' });
    const b = await member('b-second');
    const flowing = publishSome(400);
    await waitFor(() => owned(a) === 2 && owned(b) === 2, { ...WAIT, description: 'two partitions each' });
    await flowing;
    await waitFor(() => ledger.report().handled >= 600 && ledger.report().byHandler['b-second'] !== undefined, {
      ...WAIT,
      description: 'the second member handling',
    });
    // The first member leaves: the second takes everything over.
    const leaving = publishSome(200);
    await a.stop({ drainTimeoutMs: 10_000 });
    await leaving;
    await waitFor(() => owned(b) === 4, { ...WAIT, description: 'the second member to own all four partitions' });
    const report = await ledger.waitForAllHandled({ expected: next, ...WAIT });
    console.log(`redis cluster hand-over: ${formatLedgerReport(report)}`);
    expect(report.lost, formatLedgerReport(report)).toEqual([]);
    expect(report.orderViolations, formatLedgerReport(report)).toEqual([]);
    expect(report.memberOrderViolations, formatLedgerReport(report)).toEqual([]);
    // Graceful hand-overs: the old owner drains and releases before the new one reads, so nothing twice.
    expect(report.duplicates.count, formatLedgerReport(report)).toBe(0);
    expect(Object.keys(report.byHandler).sort()).toEqual(['a-first', 'b-second']);
  }, 240_000);

  it('follows a partition whose slot moves to another master while messages flow (MOVED): no loss, key order kept', async () => {
    const topic = 'moving';
    const ledger = createLedger();
    const app = createApp({
      transport: transport({ blockMs: 200 }),
      logger: quiet,
      handlers: [
        defineHandler<{ id: string }>({
          name: 'moving-group',
          topic,
          ordering: 'key',
          async handle(m) {
            await new Promise((r) => setTimeout(r, 2));
            ledger.recordHandled({ id: m.value.id, key: m.key, by: 'only', attempt: m.attempt });
          },
        }),
      ],
    });
    apps.push(app);
    await app.start();
    let next = 0;
    const publishSome = async (n: number): Promise<void> => {
      const batch = Array.from({ length: n }, () => {
        const i = next++;
        return { topic, key: `k${i % 10}`, value: { id: `mv-${i}` } };
      });
      await app.publish(batch);
      ledger.recordPublished(batch.map((m) => ({ id: m.value.id, key: m.key })));
    };
    await publishSome(300);
    await waitFor(() => ledger.report().handled > 50, { ...WAIT, description: 'messages flowing' });
    const stream = keys.stream(topic, 0);
    const moved = cluster!.moveSlot(await cluster!.keySlot(stream));
    await publishSome(100);
    const target = await moved;
    await publishSome(300);
    const report = await ledger.waitForAllHandled({ expected: next, ...WAIT });
    console.log(`redis cluster slot move to ${target}: ${formatLedgerReport(report)}`);
    expect(report.lost, formatLedgerReport(report)).toEqual([]);
    expect(report.orderViolations, formatLedgerReport(report)).toEqual([]);
    // The stream lives on the new master now, with every entry acknowledged there.
    const direct = new Cluster([{ host: '127.0.0.1', port: target }]);
    try {
      await direct.ping();
      expect(direct.slots[await cluster!.keySlot(stream)]![0]).toBe(`127.0.0.1:${target}`);
      expect(Number((await direct.xpending(stream, 'moving-group'))[0])).toBe(0);
    } finally {
      direct.disconnect();
    }
  }, 240_000);
});
