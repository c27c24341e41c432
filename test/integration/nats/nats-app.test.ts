import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import {
  createConsoleLogger,
  createApp,
  defineHandler,
  NonRetryableError,
  type App,
  type Message,
} from '@partita/core';
import { natsTransport } from '@partita/nats';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteStreamsFor, NATS_URL, natsAvailable, uniq, waitFor } from './nats-helpers.js';

const up = await natsAvailable();
const topics: string[] = [];
const apps: App[] = [];
const quiet = createConsoleLogger({ level: 'silent' });

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
          name: 'h',
          topic: t,
          ordering: 'key',
          timeoutMs: 2000,
          retry: { maxAttempts: 3, backoff: { initialMs: 10, maxMs: 50 } },
          handle(msg) {
            attempts.set(msg.value.i, (attempts.get(msg.value.i) ?? 0) + 1);
            if (msg.value.i === 3) throw new NonRetryableError('poison');
            if (msg.value.i === 5 && msg.attempt < 2) throw new Error('flaky');
            seen.push(msg);
          },
        }),
        defineHandler({
          name: 'dlq-reader',
          topic: `${t}.dlq`,
          handle(msg) {
            dlq.push(msg);
          },
        }),
      ],
    });
    const dlq: Message[] = [];
    apps.push(app);
    await app.start();
    await app.publish(Array.from({ length: 20 }, (_, i) => ({ topic: t, key: `k${i % 4}`, value: { i } })));
    await waitFor(() => seen.length === 19 && dlq.length === 1, '19 handled and 1 dead letter', 20_000).catch(
      (e: unknown) => {
        console.log('seen', seen.length, 'dlq', dlq.length, JSON.stringify(app.inspect().lanes));
        throw e;
      },
    );
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
    expect(info?.num_redelivered).toBe(0);
    await nc.close();
    const h = await app.health();
    expect(h.status).toBe('ok');
  });

  it('delayed retries go through nak(delay): the retry arrives no earlier than its delay and the lane keeps flowing meanwhile', async () => {
    const t = topic();
    const delayMs = 2500;
    const calls: { value: string; attempt: number; at: number }[] = [];
    let othersDoneBeforeRetry: boolean | undefined;
    const others = Array.from({ length: 10 }, (_, i) => `y${i}`);
    const handoffFailures: unknown[] = [];
    const app = createApp({
      transport: natsTransport({ servers: [NATS_URL] }),
      logger: quiet,
      handlers: [
        defineHandler<string>({
          // Strict order: an in-place (blocking) retry would hold every later message of the lane.
          name: 'd',
          topic: t,
          ordering: 'partition',
          retry: { maxAttempts: 3, mode: 'delayed', backoff: { initialMs: delayMs, jitter: 0 } },
          handle(msg) {
            if (msg.value === 'x' && msg.attempt === 2)
              othersDoneBeforeRetry = others.every((v) => calls.some((c) => c.value === v));
            calls.push({ value: msg.value, attempt: msg.attempt, at: Date.now() });
            if (msg.value === 'x' && msg.attempt === 1) throw new Error('later');
          },
        }),
      ],
    });
    app.on('message.retry-handoff-failed', (e) => {
      handoffFailures.push(e.error);
    });
    apps.push(app);
    await app.start();
    await app.publish([{ topic: t, value: 'x' }, ...others.map((value) => ({ topic: t, value }))]);
    await waitFor(() => calls.length === 12, 'x twice and every other message once');
    const x = calls.filter((c) => c.value === 'x');
    expect(x.map((c) => c.attempt)).toEqual([1, 2]);
    // Not before its delay (the broker held it: a dropped delay would redeliver at once).
    expect(x[1]!.at - x[0]!.at).toBeGreaterThanOrEqual(delayMs);
    // The lane kept flowing while x waited: every later message was handled before the retry.
    expect(othersDoneBeforeRetry).toBe(true);
    expect(calls.filter((c) => c.value !== 'x').map((c) => c.value)).toEqual(others);
    // The hand-off to the broker succeeded (a failed one would fall back to an in-place retry).
    expect(handoffFailures).toEqual([]);
    expect(app.inspect().metrics.retryHandoffFailures).toBe(0);
  });

  it('a handler running longer than ack_wait is not redelivered while it works', async () => {
    const t = topic();
    let started = 0;
    let finished = 0;
    const app = createApp({
      transport: natsTransport({ servers: [NATS_URL], ackWaitMs: 1000 }),
      logger: quiet,
      handlers: [
        defineHandler({
          name: 'slow',
          topic: t,
          timeoutMs: 20_000,
          async handle() {
            started++;
            const until = Date.now() + 4000; // four ack_waits
            await waitFor(() => Date.now() > until, 'handler work', 20_000);
            finished++;
          },
        }),
      ],
    });
    apps.push(app);
    await app.start();
    await app.publish({ topic: t, value: 1 });
    await waitFor(() => finished === 1, 'slow handler to finish');
    const nc = await connect({ servers: NATS_URL });
    const jsm = await jetstreamManager(nc);
    const info = await jsm.consumers.info(await jsm.streams.find(t), 'slow');
    expect(info?.num_redelivered).toBe(0);
    expect(started).toBe(1);
    await nc.close();
  });
});
