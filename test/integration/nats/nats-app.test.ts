import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createApp, defineHandler, NonRetryableError, type App, type Message } from '@partita/core';
import { natsTransport } from '@partita/nats';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteStreamsFor, NATS_URL, natsAvailable, uniq, waitFor } from './nats-helpers.js';

const up = await natsAvailable();
const topics: string[] = [];
const apps: App[] = [];
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function topic(): string {
  const t = uniq('pt.app');
  topics.push(t);
  return t;
}

describe.skipIf(!up)('createApp over NATS JetStream', () => {
  afterAll(async () => {
    await Promise.allSettled(apps.map((a) => a.stop({ drainTimeoutMs: 2000 })));
    await deleteStreamsFor(topics);
  });

  it('handles with key ordering, retries, and dead-letters to <topic>.dlq with headers, then terms the original', async () => {
    const t = topic();
    const seen: Message<{ i: number }>[] = [];
    const attempts = new Map<number, number>();
    const app = createApp({
      transport: natsTransport({ servers: [NATS_URL] }),
      logger: quiet,
      handlers: [
        defineHandler<{ i: number }>({
          name: 'h', topic: t, ordering: 'key', timeoutMs: 2000,
          retry: { maxAttempts: 3, backoff: { initialMs: 10, maxMs: 50 } },
          handle(msg) {
            attempts.set(msg.value.i, (attempts.get(msg.value.i) ?? 0) + 1);
            if (msg.value.i === 3) throw new NonRetryableError('poison');
            if (msg.value.i === 5 && msg.attempt < 2) throw new Error('flaky');
            seen.push(msg);
          },
        }),
        defineHandler({ name: 'dlq-reader', topic: `${t}.dlq`, handle(msg) { dlq.push(msg); } }),
      ],
    });
    const dlq: Message[] = [];
    apps.push(app);
    await app.start();
    await app.publish(Array.from({ length: 20 }, (_, i) => ({ topic: t, key: `k${i % 4}`, value: { i } })));
    await waitFor(() => seen.length === 19 && dlq.length === 1, '19 handled and 1 dead letter', 20_000).catch((e: unknown) => { console.log('seen', seen.length, 'dlq', dlq.length, JSON.stringify(app.inspect().lanes)); throw e; });
    for (const k of ['k0', 'k1', 'k2', 'k3']) {
      const order = seen.filter((m) => m.key === k).map((m) => m.value.i);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
    expect(attempts.get(5)).toBe(2);
    expect(dlq[0]!.headers['partita-original-topic']).toBe(t);
    expect(dlq[0]!.headers['partita-error-name']).toBe('NonRetryableError');
    expect(dlq[0]!.value).toEqual({ i: 3 });
    const nc = await connect({ servers: NATS_URL });
    const jsm = await jetstreamManager(nc);
    const info = await waitFor(async () => {
      const i = await jsm.consumers.info(await jsm.streams.find(t), 'h');
      return i.num_ack_pending === 0 && i.num_pending === 0 ? i : undefined;
    }, 'everything settled');
    expect(info.num_redelivered).toBe(0);
    await nc.close();
    const h = await app.health();
    expect(h.status).toBe('ok');
  });

  it('delayed retries go through nak(delay) and still succeed', async () => {
    const t = topic();
    const calls: number[] = [];
    const app = createApp({
      transport: natsTransport({ servers: [NATS_URL] }),
      logger: quiet,
      handlers: [defineHandler({
        name: 'd', topic: t, retry: { maxAttempts: 3, mode: 'delayed', backoff: { initialMs: 300, jitter: 0 } },
        handle(msg) { calls.push(msg.attempt); if (msg.attempt === 1) throw new Error('later'); },
      })],
    });
    apps.push(app);
    await app.start();
    await app.publish({ topic: t, value: 'x' });
    await waitFor(() => calls.length === 2, 'second attempt');
    expect(calls).toEqual([1, 2]);
  });

  it('a handler running longer than ack_wait is not redelivered while it works', async () => {
    const t = topic();
    let started = 0;
    let finished = 0;
    const app = createApp({
      transport: natsTransport({ servers: [NATS_URL], ackWaitMs: 1000 }),
      logger: quiet,
      handlers: [defineHandler({
        name: 'slow', topic: t, timeoutMs: 20_000,
        async handle() {
          started++;
          const until = Date.now() + 4000; // four ack_waits
          await waitFor(() => Date.now() > until, 'handler work', 20_000);
          finished++;
        },
      })],
    });
    apps.push(app);
    await app.start();
    await app.publish({ topic: t, value: 1 });
    await waitFor(() => finished === 1, 'slow handler to finish');
    const nc = await connect({ servers: NATS_URL });
    const jsm = await jetstreamManager(nc);
    const info = await jsm.consumers.info(await jsm.streams.find(t), 'slow');
    expect(info.num_redelivered).toBe(0);
    expect(started).toBe(1);
    await nc.close();
  });
});
