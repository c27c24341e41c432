// ElasticMQ killed with kill -9 and restarted while messages flow. The server
// (its own, on port 9335, so the shared one is never disturbed) persists
// queues and messages (tools/elasticmq: H2 with WRITE_DELAY=0), so every
// confirmed publish survives; what a crash loses is the in-flight state:
// received messages come back when their visibility runs out, deletes sent
// while it was down fail and those messages are handled again (duplicates).
import { afterAll, describe, expect, it } from 'vitest';
import { createConsoleLogger, createApp, defineHandler, type App } from '@partita/core';
import { waitFor } from '@partita/testing';
import { startElasticMQ, type ElasticMQHandle } from '../../../tools/elasticmq/elasticmq.mjs';
import { testTransport } from './sqs-helpers.js';
import { sqsControllable, sqsSkipReason, unique } from './sqs-test-env.js';

const PORT = 9335;
const quiet = createConsoleLogger({ level: 'silent' });
let server: ElasticMQHandle | undefined;
let app: App | undefined;

afterAll(async () => {
  await app?.stop({ drainTimeoutMs: 2000 });
  await server?.stop();
});

describe.skipIf(sqsSkipReason !== undefined || !sqsControllable)('SQS: ElasticMQ killed and restarted', () => {
  it('the connector recovers: every confirmed message is handled, health reports the outage', async () => {
    server = await startElasticMQ({ port: PORT });
    const topic = unique('sqs-crash');
    const handled = new Set<number>();
    const confirmed = new Set<number>();
    app = createApp({
      transport: testTransport({ waitTimeSeconds: 1, visibilityTimeoutSeconds: 5 }, server.endpoint),
      logger: quiet,
      handlers: [
        defineHandler<{ id: number }>({
          name: unique('crash'),
          topic,
          ordering: 'none',
          timeoutMs: 5000,
          handle(m) {
            handled.add(m.value.id);
          },
        }),
      ],
    });
    await app.start();
    const total = 400;
    let restarted: Promise<void> | undefined;
    for (let i = 0; i < total; i += 20) {
      const batch = Array.from({ length: 20 }, (_, j) => ({ topic, value: { id: i + j } }));
      if (i === 160) {
        server.kill();
        await waitFor(async () => (await app!.health()).status !== 'ok', {
          description: 'health to leave ok while the server is down',
          timeoutMs: 30_000,
        });
        restarted = server.restart();
      }
      await waitFor(
        async () => {
          try {
            await app!.publish(batch);
            return true;
          } catch {
            return false;
          }
        },
        { description: `publish of ${i}..${i + 19} confirmed`, timeoutMs: 120_000, intervalMs: 200 },
      );
      for (const m of batch) confirmed.add(m.value.id);
    }
    await restarted;
    await waitFor(() => [...confirmed].every((id) => handled.has(id)), {
      description: 'every confirmed message handled after the restart',
      timeoutMs: 120_000,
      diagnose: () => `handled ${handled.size} of ${confirmed.size}`,
    });
    expect(confirmed.size).toBe(total);
    await waitFor(async () => (await app!.health()).status === 'ok', {
      description: 'health back to ok',
      timeoutMs: 30_000,
    });
  });
});
