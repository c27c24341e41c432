import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createConsoleLogger, createApp, defineHandler, type App } from '@partita/core';
import { rabbitmqTransport } from '@partita/rabbitmq';
import { uniqueName, waitFor } from '@partita/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { RABBITMQ_URL, rabbitAvailable, RabbitNames } from './rabbitmq-helpers.js';

// Issue 15: a consumer process killed with kill -9 mid-batch. The broker
// returns its unacked messages when the connection dies and makes the
// survivor the single active consumer of every partition: the messages the
// child held in flight are handled by the survivor; nothing is lost.

const up = await rabbitAvailable();
const root = join(import.meta.dirname, '..', '..', '..');
const PARTITIONS = 2;
const names = new RabbitNames(PARTITIONS);
const quiet = createConsoleLogger({ level: 'silent' });
const apps: App[] = [];

afterAll(async () => {
  await Promise.allSettled(apps.map((a) => a.stop({ drainTimeoutMs: 1000 })));
  if (up) await names.deleteAll();
}, 60_000);

describe.skipIf(!up)('RabbitMQ: consumer process killed with kill -9 mid-batch', () => {
  it('redelivers its unacked messages to the surviving member; no loss', async () => {
    execFileSync(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'packages/rabbitmq'],
      {
        cwd: root,
        stdio: 'inherit',
      },
    );
    const topic = uniqueName('rmq-kill');
    const group = uniqueName('workers');
    names.topics.add(topic);
    names.groups.set(topic, new Set([group]));
    const total = 300;
    const finishBelow = 40;
    const survivorHandled = new Set<number>();
    const survivor = createApp({
      transport: rabbitmqTransport({ url: RABBITMQ_URL, name: 'kill-survivor', partitions: PARTITIONS }),
      logger: quiet,
      handlers: [
        defineHandler<{ id: number }>({
          name: group,
          topic,
          ordering: 'none',
          maxInFlight: 20,
          handle(m) {
            survivorHandled.add(m.value.id);
          },
        }),
      ],
    });

    const child = spawn(
      process.execPath,
      [
        join(import.meta.dirname, 'fixtures', 'consumer-child.mjs'),
        RABBITMQ_URL,
        topic,
        group,
        String(finishBelow),
        String(PARTITIONS),
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const started = new Set<number>();
    const done = new Set<number>();
    let ready = false;
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const [what, id] = buf.slice(0, nl).split(' ');
        buf = buf.slice(nl + 1);
        if (what === 'ready') ready = true;
        if (what === 'start') started.add(Number(id));
        if (what === 'done') done.add(Number(id));
      }
    });
    await waitFor(() => ready, { timeoutMs: 60_000, description: 'the child to subscribe' });
    // The child subscribed first, so it is the active consumer of every partition; the survivor waits.
    apps.push(survivor);
    await survivor.start();
    const publisher = rabbitmqTransport({ url: RABBITMQ_URL, name: 'kill-publisher', partitions: PARTITIONS });
    await publisher.publish(
      Array.from({ length: total }, (_, id) => ({
        topic,
        key: `k${id}`,
        value: new TextEncoder().encode(JSON.stringify({ id })),
        headers: {},
      })),
    );
    await publisher.close();
    // Deterministic mid-batch: the child finished its share and holds more in flight.
    await waitFor(() => [...done].filter((id) => id < finishBelow).length >= 10 && started.size > done.size, {
      timeoutMs: 60_000,
      description: 'the child to finish some messages and hold more in flight',
    });
    const closed = new Promise((r) => child.once('close', r));
    child.kill('SIGKILL');
    await closed;
    const inFlightAtKill = [...started].filter((id) => !done.has(id));
    expect(inFlightAtKill.length).toBeGreaterThan(0);

    await waitFor(
      () => Array.from({ length: total }, (_, id) => id).every((id) => done.has(id) || survivorHandled.has(id)),
      {
        timeoutMs: 90_000,
        description: 'every message handled by the child or the survivor',
        diagnose: () =>
          `missing ${Array.from({ length: total }, (_, id) => id)
            .filter((id) => !done.has(id) && !survivorHandled.has(id))
            .slice(0, 20)
            .join(',')}`,
      },
    );
    // The child's in-flight messages were never acked: the survivor got every one.
    for (const id of inFlightAtKill) expect(survivorHandled.has(id), `id ${id} redelivered`).toBe(true);
    await survivor.stop({ drainTimeoutMs: 2000 });
  }, 180_000);
});
