import { createConsoleLogger, createApp, defineHandler, type App } from '@partita/core';
import { rabbitmqTransport } from '@partita/rabbitmq';
import { uniqueName, waitFor } from '@partita/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { RABBITMQ_URL, rabbitAvailable, RabbitNames } from './rabbitmq-helpers.js';

// Health: connection, the partitions this member is active on, per partition
// queue its depth and lane, the group's size; credentials never shown.

const up = await rabbitAvailable();
const names = new RabbitNames(2);
const quiet = createConsoleLogger({ level: 'silent' });
let app: App | undefined;

afterAll(async () => {
  await app?.stop({ drainTimeoutMs: 1000 }).catch(() => undefined);
  if (up) await names.deleteAll();
}, 60_000);

describe.skipIf(!up)('RabbitMQ health', () => {
  it('reports the active partitions, queue depths and group size, without the URL password', async () => {
    const topic = uniqueName('rmq-health');
    const group = uniqueName('health');
    const transport = names.track(rabbitmqTransport({ url: RABBITMQ_URL, partitions: 2 }));
    let release: (() => void) | undefined;
    const held = new Promise<void>((r) => (release = r));
    app = createApp({
      transport,
      logger: quiet,
      handlers: [defineHandler({ name: group, topic, maxInFlight: 1, ordering: 'partition', handle: () => held })],
    });
    await app.start();
    // 12 records on 2 partitions: one of them gets at least 6, more than a lane's prefetch (4 × maxInFlight).
    await app.publish(Array.from({ length: 12 }, (_, i) => ({ topic, key: `k${i}`, value: { i } })));
    type Sub = { group: string; members: number; activePartitions: number[]; partitions: { depth?: number }[] };
    const sub = async (): Promise<Sub | undefined> =>
      ((await transport.health()).details?.subscriptions as Sub[] | undefined)?.find((s) => s.group === group);
    await waitFor(async () => (await sub())?.activePartitions.length === 2, {
      timeoutMs: 30_000,
      description: 'both partitions active',
    });
    const s = (await sub())!;
    expect(s.members).toBe(1);
    // One record in flight per partition (maxInFlight 1, handler held), 4 prefetched: the rest wait in the queues.
    expect(s.partitions.reduce((n, p) => n + (p.depth ?? 0), 0)).toBeGreaterThan(0);
    const report = await transport.health();
    expect(report.status).toBe('ok');
    expect(report.details?.connected).toBe(true);
    expect(JSON.stringify(report)).not.toContain('guest:guest');
    release!();
  });
});
