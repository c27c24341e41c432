import { createConsoleLogger, createApp, defineHandler, type App, type Message } from '@partita/core';
import { natsTransport } from '@partita/nats';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteStreamsFor, enc, NATS_URL, natsAvailable, uniq, waitFor } from './nats-helpers.js';

// Issue 11.13: on NATS, `attempt` counts handler runs only. Records handed back
// without a run (stop, revoke, early delivery of a delayed publish) do not use
// up attempts, and no record is dropped by the server's `max_deliver` without
// passing through the runtime's dead-letter path.

const up = await natsAvailable();
const topics: string[] = [];
const apps: App[] = [];
const quiet = createConsoleLogger({ level: 'silent' });

function topic(): string {
  const t = uniq('pt.attempts');
  topics.push(t);
  return t;
}

function app(options: Parameters<typeof createApp>[0]): App {
  const a = createApp(options);
  apps.push(a);
  return a;
}

describe.skipIf(!up)('NATS attempt accounting through createApp', () => {
  afterAll(async () => {
    await Promise.allSettled(apps.map((a) => a.stop({ drainTimeoutMs: 1000 })));
    await deleteStreamsFor(topics);
  });

  it('a message handed back by 3 stop()/restart cycles still gets its full maxAttempts handler runs, then is dead-lettered', async () => {
    const t = topic();
    const cycles = 3;
    const runsOfX: number[] = [];
    const runsOfBlocker: number[] = [];
    const dlq: Message<string>[] = [];
    const handler = (final: boolean) =>
      defineHandler<string>({
        name: 'ha',
        topic: t,
        ordering: 'key',
        timeoutMs: 5000,
        retry: { maxAttempts: 3, mode: 'delayed', backoff: { initialMs: 50, maxMs: 50, jitter: 0 } },
        async handle(msg) {
          if (msg.value === 'x') {
            runsOfX.push(msg.attempt);
            throw new Error('x always fails');
          }
          runsOfBlocker.push(msg.attempt);
          // The blocker holds its key past the app's stop, so "x" (same key) is received but never run.
          if (!final) await new Promise<void>(() => undefined);
        },
      });
    const publisher = natsTransport({ servers: [NATS_URL] });
    await publisher.publish([{ topic: t, key: 'k', value: enc('"blocker"'), headers: {} }]);
    await publisher.publish([{ topic: t, key: 'k', value: enc('"x"'), headers: {} }]);
    await publisher.close();
    for (let i = 0; i < cycles; i++) {
      const a = app({ transport: natsTransport({ servers: [NATS_URL] }), logger: quiet, handlers: [handler(false)] });
      await a.start();
      await waitFor(
        () => (a.inspect().lanes.find((l) => l.topic === t)?.received ?? 0) >= 2,
        `cycle ${i}: blocker and x received`,
      );
      await a.stop({ drainTimeoutMs: 100 });
    }
    expect(runsOfX).toEqual([]); // x was handed back each time without a run
    const last = app({
      transport: natsTransport({ servers: [NATS_URL] }),
      logger: quiet,
      handlers: [
        handler(true),
        defineHandler<string>({
          name: 'dlq',
          topic: `${t}.dlq`,
          handle(m) {
            dlq.push(m);
          },
        }),
      ],
    });
    await last.start();
    await waitFor(() => dlq.length === 1, 'x dead-lettered', 30_000);
    expect(runsOfX).toEqual([1, 2, 3]);
    // A run cut short by stop() gave no verdict: it is handed back and not counted either.
    expect(runsOfBlocker).toEqual([1, 1, 1, 1]);
    expect(dlq[0]!.value).toBe('x');
    expect(dlq[0]!.headers['partita-attempts']).toBe('3');
  });

  it('a delayed publish consumed after its time reports attempt 1', async () => {
    const t = topic();
    const sentAt = Date.now();
    const publisher = natsTransport({ servers: [NATS_URL] });
    await publisher.publish([{ topic: t, value: enc('"late"'), headers: {}, delayMs: 300 }]);
    await publisher.close();
    // Nobody consumes until the delay has passed: the first delivery is already late.
    await waitFor(() => Date.now() > sentAt + 800, 'the delay to pass');
    const attempts: number[] = [];
    const a = app({
      transport: natsTransport({ servers: [NATS_URL] }),
      logger: quiet,
      handlers: [
        defineHandler<string>({
          name: 'late',
          topic: t,
          handle(m) {
            attempts.push(m.attempt);
          },
        }),
      ],
    });
    await a.start();
    await waitFor(() => attempts.length === 1, 'the delayed message');
    expect(attempts).toEqual([1]);
  });

  it('a delayed publish consumed early is held back without using an attempt', async () => {
    const t = topic();
    const attempts: number[] = [];
    const seenAt: number[] = [];
    const a = app({
      transport: natsTransport({ servers: [NATS_URL] }),
      logger: quiet,
      handlers: [
        defineHandler<string>({
          name: 'early',
          topic: t,
          handle(m) {
            attempts.push(m.attempt);
            seenAt.push(Date.now());
          },
        }),
      ],
    });
    await a.start();
    const sentAt = Date.now();
    await a.publish({ topic: t, value: 'soon', delayMs: 700 });
    await waitFor(() => attempts.length === 1, 'the delayed message');
    expect(seenAt[0]! - sentAt).toBeGreaterThanOrEqual(600);
    expect(attempts).toEqual([1]);
  });

  it('a message failing more often than max_deliver allows is dead-lettered by the runtime, never dropped by the server', async () => {
    const t = topic();
    const runs: number[] = [];
    const dlq: Message<string>[] = [];
    const a = app({
      transport: natsTransport({ servers: [NATS_URL], maxDeliver: 2 }),
      logger: quiet,
      handlers: [
        defineHandler<string>({
          name: 'md',
          topic: t,
          timeoutMs: 5000,
          retry: { maxAttempts: 5, mode: 'delayed', backoff: { initialMs: 50, maxMs: 50, jitter: 0 } },
          handle(m) {
            runs.push(m.attempt);
            throw new Error('always');
          },
        }),
        defineHandler<string>({
          name: 'md-dlq',
          topic: `${t}.dlq`,
          handle(m) {
            dlq.push(m);
          },
        }),
      ],
    });
    await a.start();
    await a.publish({ topic: t, value: 'poison' });
    await waitFor(() => dlq.length === 1, 'the dead letter', 20_000).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}; runs ${JSON.stringify(runs)}`);
    });
    expect(dlq[0]!.value).toBe('poison');
    // The server delivers twice; the second delivery is the last, so the runtime treats it as the final attempt.
    expect(runs).toEqual([1, 5]);
  });
});
