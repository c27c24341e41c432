import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConsoleLogger, createApp, defineHandler, type App } from '@partita/core';
import { redisTransport } from '@partita/redis';
import { brokersRequired, createLedger, formatLedgerReport, waitFor } from '@partita/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePrefix, REDIS_URL, redisAvailable, uniquePrefix } from './redis-helpers.js';
import { hasRedisServer, REDIS_SERVER_BIN, RedisServerProcess } from './redis-server-process.js';

const available = await redisAvailable();
if (available !== true && brokersRequired()) throw new Error(`Redis is required: ${available}`);
if (available !== true) console.warn(`skipping Redis process-fault tests: ${available}`);
if (!hasRedisServer()) {
  if (brokersRequired())
    throw new Error(`the redis-server binary (${REDIS_SERVER_BIN}) is required for the crash test`);
  console.warn(`skipping the Redis server crash test: no ${REDIS_SERVER_BIN}`);
}
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const quiet = createConsoleLogger({ level: 'silent' });
const apps: App[] = [];
const prefixes: string[] = [];
const WAIT = { timeoutMs: 120_000, intervalMs: 50 };

afterAll(async () => {
  await Promise.allSettled(apps.map((a) => a.stop({ drainTimeoutMs: 1000 })));
  if (available === true) for (const p of prefixes) await deletePrefix(p);
});

describe.skipIf(available !== true)('Redis member killed with kill -9 mid-batch', () => {
  it("moves the dead member's partitions to the survivor, which handles its pending entries; no loss", async () => {
    execFileSync('npx', ['tsc', '-b', 'packages/redis', 'packages/testing'], { cwd: root, stdio: 'inherit' });
    const prefix = uniquePrefix('kill9');
    prefixes.push(prefix);
    const dir = mkdtempSync(join(tmpdir(), 'partita-redis-kill-'));
    const ledger = createLedger({ file: join(dir, 'ledger.jsonl'), truncate: true });
    const topic = 'orders';
    const group = 'billing';
    const transport = (name: string) =>
      redisTransport({ url: REDIS_URL, keyPrefix: prefix, partitions: 4, leaseMs: 1500, consumerName: name });
    const survivorHandled = new Map<string, number>();
    // "a-survivor" sorts before "b-child": with two members each owns two partitions.
    const survivor = createApp({
      transport: transport('a-survivor'),
      logger: quiet,
      handlers: [
        defineHandler<{ id: string }>({
          name: group,
          topic,
          ordering: 'key',
          handle(m) {
            survivorHandled.set(m.value.id, m.attempt);
            ledger.recordHandled({ id: m.value.id, key: m.key, by: 'a-survivor', attempt: m.attempt });
          },
        }),
      ],
    });
    apps.push(survivor);
    await survivor.start();
    const child = spawn(
      process.execPath,
      [join(here, 'fixtures', 'redis-member.mjs'), REDIS_URL, prefix, topic, group, 'b-child', ledger.file!, '30'],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const started = new Set<string>();
    const done = new Set<string>();
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const [what, id] = buf.slice(0, nl).split(' ');
        buf = buf.slice(nl + 1);
        if (what === 'start') started.add(id!);
        if (what === 'done') done.add(id!);
      }
    });
    const lanes = () => survivor.inspect().lanes.filter((l) => l.state !== 'stopped').length;
    await waitFor(() => lanes() === 2, { ...WAIT, description: 'the survivor to hand two partitions to the child' });

    const total = 400;
    const messages = Array.from({ length: total }, (_, i) => ({ topic, key: `k${i % 40}`, value: { id: `m-${i}` } }));
    await survivor.publish(messages);
    ledger.recordPublished(messages.map((m) => ({ id: m.value.id, key: m.key })));
    await waitFor(() => done.size >= 30 && started.size > done.size, {
      ...WAIT,
      description: 'the child to finish 30 messages and hold more in flight',
    });
    const closed = new Promise((r) => child.once('close', r));
    child.kill('SIGKILL');
    await closed;
    const inFlightAtKill = [...started].filter((id) => !done.has(id));
    expect(inFlightAtKill.length).toBeGreaterThan(0);

    await waitFor(() => lanes() === 4, { ...WAIT, description: "the survivor to take the dead member's partitions" });
    const report = await ledger.waitForAllHandled({ expected: total, ...WAIT });
    console.log(`redis kill -9: ${formatLedgerReport(report)}; in flight at the kill: ${inFlightAtKill.length}`);
    expect(report.lost, formatLedgerReport(report)).toEqual([]);
    for (const id of inFlightAtKill) {
      // Delivered once to the child (delivery count 1), then claimed by the survivor: attempt 2.
      expect(survivorHandled.get(id), `${id} handled by the survivor as a redelivery`).toBe(2);
    }
    expect(report.orderViolations, formatLedgerReport(report)).toEqual([]);
    ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe.skipIf(available !== true || !hasRedisServer())(
  'Redis server killed with kill -9 and restarted (AOF everysec)',
  () => {
    it('loses confirmed messages only within the fsync window before the kill', async () => {
      const server = await RedisServerProcess.start();
      try {
        const topic = 'crash';
        const handled = new Set<number>();
        const confirmedAt = new Map<number, number>();
        const app = createApp({
          transport: redisTransport({
            url: server.url,
            partitions: 2,
            leaseMs: 1500,
            commandTimeoutMs: 2000,
            connectTimeoutMs: 1000,
          }),
          logger: quiet,
          handlers: [
            defineHandler<{ id: number }>({
              name: 'crash',
              topic,
              ordering: 'key',
              handle(m) {
                handled.add(m.value.id);
              },
            }),
          ],
        });
        apps.push(app);
        await app.start();
        const total = 1000;
        let killedAt = 0;
        let restarted: Promise<void> | undefined;
        for (let i = 0; i < total; i += 20) {
          const batch = Array.from({ length: 20 }, (_, j) => ({
            topic,
            key: `k${(i + j) % 16}`,
            value: { id: i + j },
          }));
          if (killedAt === 0 && i >= 400) {
            await server.kill9();
            killedAt = Date.now();
            await waitFor(async () => (await app.health()).status !== 'ok', {
              ...WAIT,
              description: 'health to leave ok while the server is down',
            });
            restarted = server.spawn();
          }
          // Publish until confirmed; failures while the server is down are expected.
          await waitFor(
            async () => {
              try {
                await app.publish(batch);
                return true;
              } catch {
                return false;
              }
            },
            { ...WAIT, description: `batch ${i} confirmed` },
          );
          const now = Date.now();
          for (const m of batch) confirmedAt.set(m.value.id, now);
        }
        await restarted;
        // Every message confirmed after the restart, and every one the AOF kept, is handled.
        const after = [...confirmedAt].filter(([, at]) => at > killedAt).map(([id]) => id);
        await waitFor(() => after.every((id) => handled.has(id)), {
          ...WAIT,
          description: 'every message confirmed after the restart handled',
        });
        // Everything the restarted server still has is handled: both partitions owned, no lag, nothing pending.
        await waitFor(
          async () => {
            const h = await app.health();
            const subs = ((h.details?.transport as { subscriptions?: unknown[] } | undefined)?.subscriptions ?? []) as {
              owned: number[];
              lanes: { lag: number; pending: number }[];
            }[];
            return (
              h.status === 'ok' &&
              subs.length === 1 &&
              subs[0]!.owned.length === 2 &&
              subs[0]!.lanes.every((l) => l.lag === 0 && l.pending === 0)
            );
          },
          { ...WAIT, description: 'both partitions consumed to the end (lag 0, nothing pending)' },
        );
        const lost = [...confirmedAt].filter(([id]) => !handled.has(id));
        const window = 2000; // everysec: up to about one second of writes, plus the second the fsync itself may take
        const outside = lost.filter(([, at]) => at < killedAt - window);
        console.log(
          `redis server crash: ${lost.length} of ${total} confirmed messages lost, all confirmed within ${window} ms before the kill -9 (AOF appendfsync everysec: the server's own fsync window); outside the window: ${outside.length}`,
        );
        expect(outside.map(([id]) => id)).toEqual([]);
        expect(after.every((id) => handled.has(id))).toBe(true);
        await app.stop({ drainTimeoutMs: 2000 });
      } finally {
        await server.stop();
      }
    });
  },
);
