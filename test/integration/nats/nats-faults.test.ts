import { execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConsoleLogger, createApp, defineHandler, type App } from '@partita/core';
import { natsTransport } from '@partita/nats';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteStreamsFor, NATS_URL, natsAvailable, requireOrSkip, uniq, waitFor } from './nats-helpers.js';
import { NatsServerProcess, NATS_SERVER_BIN } from './nats-server-process.js';
import { existsSync } from 'node:fs';

const up = await natsAvailable();
// Under PARTITA_REQUIRE_BROKERS=1|true a missing binary fails the run instead of skipping the crash test.
const hasBinary = requireOrSkip(
  existsSync(NATS_SERVER_BIN),
  `the nats-server binary (${NATS_SERVER_BIN}) for the NATS crash test`,
);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const quiet = createConsoleLogger({ level: 'silent' });
const apps: App[] = [];
const topics: string[] = [];

afterAll(async () => {
  await Promise.allSettled(apps.map((a) => a.stop({ drainTimeoutMs: 1000 })));
  if (up) await deleteStreamsFor(topics);
});

describe.skipIf(!hasBinary)('NATS server crash and restart (own nats-server, kill -9)', () => {
  it('loses no confirmed message when the server is killed while messages flow and restarts on the same store', async () => {
    const server = await NatsServerProcess.start();
    try {
      const t = uniq('pt.crash');
      const handled = new Set<number>();
      const confirmed = new Set<number>();
      const app = createApp({
        transport: natsTransport({
          servers: [server.url],
          reconnectTimeWaitMs: 200,
          publishTimeoutMs: 3000,
          connectTimeoutMs: 3000,
        }),
        logger: quiet,
        handlers: [
          defineHandler<{ id: number }>({
            name: 'crash',
            topic: t,
            ordering: 'none',
            timeoutMs: 2000,
            handle(m) {
              handled.add(m.value.id);
            },
          }),
        ],
      });
      apps.push(app);
      await app.start();
      const total = 600;
      let killed = false;
      let restarted: Promise<void> | undefined;
      for (let i = 0; i < total; i += 20) {
        const batch = Array.from({ length: 20 }, (_, j) => ({ topic: t, value: { id: i + j } }));
        if (!killed && i >= 200) {
          killed = true;
          await server.kill9();
          // While the server is gone the transport reports degraded (reconnecting), not ok.
          await waitFor(
            async () => (await app.health()).status !== 'ok',
            'health to leave ok while the server is down',
          );
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
          `batch ${i} confirmed`,
          120_000,
        );
        for (const m of batch) confirmed.add(m.value.id);
      }
      await restarted;
      await waitFor(
        () => [...confirmed].every((id) => handled.has(id)),
        'every confirmed message handled',
        120_000,
      ).catch((e: unknown) => {
        throw new Error(
          `${(e as Error).message}; missing ${[...confirmed]
            .filter((id) => !handled.has(id))
            .slice(0, 20)
            .join(',')}`,
        );
      });
      expect(confirmed.size).toBe(total);
      await app.stop({ drainTimeoutMs: 2000 });
    } finally {
      await server.stop();
    }
  });
});

describe.skipIf(!up)('consumer process killed with kill -9 mid-batch', () => {
  it('redelivers its unacked messages to the surviving member after ack_wait; no loss', async () => {
    execFileSync('npx', ['tsc', '-b', 'packages/nats'], { cwd: root, stdio: 'inherit' });
    const t = uniq('pt.kill');
    topics.push(t);
    const group = uniq('workers');
    const total = 300;
    const finishBelow = 40; // the child finishes ids below this and holds every later one in flight
    const publisher = natsTransport({ servers: [NATS_URL] });
    await publisher.publish(
      Array.from({ length: total }, (_, id) => ({
        topic: t,
        value: new TextEncoder().encode(JSON.stringify({ id })),
        headers: {},
      })),
    );
    await publisher.close();

    const child = spawn(
      process.execPath,
      [join(here, 'fixtures', 'consumer-child.mjs'), NATS_URL, t, group, String(finishBelow)],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const childStarted = new Set<number>();
    const childDone = new Set<number>();
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const [what, id] = buf.slice(0, nl).split(' ');
        buf = buf.slice(nl + 1);
        if (what === 'start') childStarted.add(Number(id));
        if (what === 'done') childDone.add(Number(id));
      }
    });
    // Deterministic mid-batch: the child has finished its share and holds messages in flight.
    await waitFor(
      () => childDone.size >= finishBelow && childStarted.size > childDone.size,
      'the child to finish 40 messages and hold more in flight',
      120_000,
    );
    // 'close' (not 'exit'): stdout is fully read, so no line written before the kill is missed.
    const closed = new Promise((r) => child.once('close', r));
    child.kill('SIGKILL');
    await closed;
    const inFlightAtKill = [...childStarted].filter((id) => !childDone.has(id));
    expect(inFlightAtKill.length).toBeGreaterThan(0);
    expect(inFlightAtKill.every((id) => id >= finishBelow)).toBe(true);

    const survivorHandled = new Set<number>();
    const survivor = createApp({
      transport: natsTransport({ servers: [NATS_URL] }),
      logger: quiet,
      handlers: [
        defineHandler<{ id: number }>({
          name: group,
          topic: t,
          ordering: 'none',
          maxInFlight: 20,
          timeoutMs: 2000,
          handle(m) {
            survivorHandled.add(m.value.id);
          },
        }),
      ],
    });
    apps.push(survivor);
    await survivor.start();
    await waitFor(
      () => Array.from({ length: total }, (_, id) => id).every((id) => childDone.has(id) || survivorHandled.has(id)),
      'every message handled by child or survivor',
      120_000,
    );
    // The child's in-flight messages were never acked: the survivor got them after ack_wait.
    for (const id of inFlightAtKill) expect(survivorHandled.has(id)).toBe(true);
    await survivor.stop({ drainTimeoutMs: 2000 });
  });
});
