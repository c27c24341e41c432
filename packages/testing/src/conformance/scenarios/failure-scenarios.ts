import { assert, expect } from 'vitest';
import { defineHandler, NonRetryableError } from '@partita/core';
import type { AppEvents, Message, PublishMessage } from '@partita/core';
import { formatLedgerReport } from '../../ledger/ledger-report.js';
import type { KitValue } from '../scenario-harness.js';
import type { Scenario } from '../scenario.js';

const fastBackoff = { initialMs: 20, multiplier: 1, maxMs: 20, jitter: 0 };

const retryThenSuccess: Scenario = {
  name: 'a failing message is retried (attempt increments) until it succeeds',
  async run(h) {
    const topic = await h.topic('retry');
    const attempts: number[] = [];
    const ctxAttempts: number[] = [];
    const retries: AppEvents['message.retry-scheduled'][] = [];
    const dead: unknown[] = [];
    const app = await h.app('a', [
      defineHandler<KitValue>({
        name: h.name('retry'),
        topic,
        retry: { maxAttempts: 5, mode: 'blocking', backoff: fastBackoff },
        handle(m, ctx) {
          attempts.push(m.attempt);
          ctxAttempts.push(ctx.attempt);
          if (m.attempt < 3) throw new Error(`transient failure ${m.attempt}`);
          h.ledger.recordHandled({ id: m.value.id, key: m.key, by: 'a' });
        },
      }),
    ]);
    app.on('message.retry-scheduled', (e) => retries.push(e));
    app.on('message.dead-lettered', (e) => dead.push(e));
    await h.lanes(app);
    await h.publish(app, [{ topic, key: 'r', value: { id: 'retry-1' } }]);
    await h.allHandled(1);
    expect(attempts).toEqual([1, 2, 3]);
    expect(ctxAttempts).toEqual([1, 2, 3]);
    expect(retries.map((r) => r.mode)).toEqual(['blocking', 'blocking']);
    expect(dead).toEqual([]);
  },
};

const poisonToDeadLetter: Scenario = {
  name: 'a poison message (NonRetryableError) goes to the dead-letter topic with the partita headers, value unchanged',
  async run(h) {
    const topic = await h.topic('poison');
    const dlq = `${topic}.dlq`;
    await h.prepare(dlq);
    const name = h.name('poison');
    const failedOriginals: Message<KitValue>[] = [];
    const deadLetters: Message<KitValue>[] = [];
    const events: AppEvents['message.dead-lettered'][] = [];
    const app = await h.app('a', [
      defineHandler<KitValue>({
        name,
        topic,
        retry: { maxAttempts: 5, backoff: fastBackoff },
        handle(m) {
          if (m.value.poison) {
            failedOriginals.push(m);
            throw new NonRetryableError('poison pill');
          }
          h.ledger.recordHandled({ id: m.value.id, key: m.key, by: 'a' });
        },
      }),
      defineHandler<KitValue>({
        name: h.name('dlq-reader'),
        topic: dlq,
        deadLetter: false,
        handle: (m) => void deadLetters.push(m),
      }),
    ]);
    app.on('message.dead-lettered', (e) => events.push(e));
    await h.waitFor(
      () => new Set(app.inspect().lanes.map((l) => l.topic)).size >= 2,
      'lanes of the topic and its dead-letter topic',
    );
    const poison = { id: 'poison-1', poison: true, payload: { amount: 12.5, items: ['a', 'b'] } };
    await h.publish(app, [{ topic, key: 'good', value: { id: 'good-1' } }]);
    await app.publish({ topic, key: 'poison-key', value: poison, headers: { 'x-origin': 'conformance' } });
    await h.publish(app, [{ topic, key: 'good', value: { id: 'good-2' } }]);
    await h.waitFor(
      () => deadLetters.length >= 1,
      'the dead-letter copy to arrive',
      () => `originals failed: ${failedOriginals.length}`,
    );
    await h.allHandled(2);
    const original = failedOriginals[0];
    const dead = deadLetters[0];
    expect(failedOriginals, 'a non-retryable error is not retried').toHaveLength(1);
    assert.isDefined(original, 'the failed original');
    assert.isDefined(dead, 'the dead-letter copy');
    expect(dead.value).toEqual(poison);
    expect(dead.headers['x-origin'], 'original headers are kept').toBe('conformance');
    expect(dead.headers).toMatchObject({
      'partita-original-topic': topic,
      'partita-original-partition': String(original.partition),
      'partita-original-offset': original.offset,
      'partita-original-key': 'poison-key',
      'partita-attempts': '1',
      'partita-error-name': 'NonRetryableError',
      'partita-error-message': 'poison pill',
      'partita-handler': name,
      'partita-group': name,
    });
    const stack = dead.headers['partita-error-stack'] ?? '';
    expect(stack).toContain('poison pill');
    expect(Buffer.byteLength(stack, 'utf8')).toBeLessThanOrEqual(4096);
    const failedAt = dead.headers['partita-failed-at'] ?? '';
    expect(failedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
    expect(Number.isFinite(Date.parse(failedAt))).toBe(true);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ reason: 'non-retryable', deadLetterTopic: dlq });
  },
};

const continuesAfterErrors: Scenario = {
  name: 'the app keeps consuming after handler errors (thrown errors, non-Error throws, rejections)',
  async run(h) {
    const topic = await h.topic('errors');
    const failAttempts = new Map<string, number>();
    const app = await h.app('a', [
      defineHandler<KitValue>({
        name: h.name('errors'),
        topic,
        retry: { maxAttempts: 2, backoff: fastBackoff },
        deadLetter: false,
        async handle(m) {
          const kind = m.value.fail as string | undefined;
          if (kind) {
            failAttempts.set(m.value.id, Math.max(failAttempts.get(m.value.id) ?? 0, m.attempt));
            if (kind === 'throw') throw new Error('handler failed on purpose');
            // eslint-disable-next-line @typescript-eslint/only-throw-error -- the case under test: a non-Error thrown
            if (kind === 'string') throw 'not an Error object';
            return Promise.reject(new TypeError('rejected on purpose'));
          }
          h.ledger.recordHandled({ id: m.value.id, key: m.key, by: 'a' });
        },
      }),
    ]);
    await h.lanes(app);
    const kinds = ['throw', 'string', 'reject'];
    const first: PublishMessage<KitValue>[] = [];
    for (let i = 0; i < 30; i++) {
      first.push({ topic, key: `k${i % 6}`, value: { id: `bad-${i}`, fail: kinds[i % 3] } });
      first.push({ topic, key: `k${i % 6}`, value: { id: `good-${i}` } });
    }
    // Failing messages are not recorded as published in the ledger: they are expected never to succeed.
    await app.publish(first.filter((m) => m.value.fail));
    await h.publish(
      app,
      first.filter((m) => !m.value.fail),
    );
    await h.waitFor(
      () => failAttempts.size === 30 && [...failAttempts.values()].every((a) => a === 2),
      'every failing message to be attempted twice',
      () => `failing messages seen ${failAttempts.size}`,
    );
    await h.publish(
      app,
      Array.from({ length: 20 }, (_, i) => ({ topic, key: `k${i % 6}`, value: { id: `after-${i}` } })),
    );
    const report = await h.allHandled(50);
    expect(report.lost, formatLedgerReport(report)).toEqual([]);
    expect(app.inspect().state).toBe('running');
    expect(
      [...failAttempts.values()].every((a) => a === 2),
      'no failing message was attempted more than maxAttempts',
    ).toBe(true);
  },
};

/** Delay of each delayed retry in the delayed-retry scenario: long enough that the rest of the partition is clearly handled first. */
const RETRY_DELAY_MS = 1_000;
/** Timer and clock granularity allowed below a delay (timers may fire a millisecond early; broker clocks round). */
const DELAY_SLACK_MS = 10;

const delayedRetry: Scenario = {
  name: "retry.mode 'delayed' hands the message to the broker's delay: the retry comes no earlier than its delay, the partition flows meanwhile",
  requires: ['delayedRetry'],
  async run(h) {
    const topic = await h.topic('delayed');
    // What the handler saw, in order: `flaky#<attempt>` and the ids of the other messages.
    const seen: string[] = [];
    const failedAt: number[] = [];
    const startedAt: number[] = [];
    const retries: AppEvents['message.retry-scheduled'][] = [];
    const handoffFailures: AppEvents['message.retry-handoff-failed'][] = [];
    const app = await h.app('a', [
      defineHandler<KitValue>({
        name: h.name('delayed'),
        topic,
        retry: {
          maxAttempts: 5,
          mode: 'delayed',
          backoff: { initialMs: RETRY_DELAY_MS, multiplier: 1, maxMs: RETRY_DELAY_MS, jitter: 0 },
        },
        handle(m) {
          if (m.value.flaky) {
            startedAt[m.attempt] = Date.now();
            seen.push(`flaky#${m.attempt}`);
            if (m.attempt < 3) {
              failedAt[m.attempt] = Date.now();
              throw new Error(`not yet (${m.attempt})`);
            }
          } else {
            seen.push(m.value.id);
          }
          h.ledger.recordHandled({ id: m.value.id, key: m.key, by: 'a' });
        },
      }),
    ]);
    app.on('message.retry-scheduled', (e) => retries.push(e));
    app.on('message.retry-handoff-failed', (e) => handoffFailures.push(e));
    await h.lanes(app);
    // One key, so one partition: behind the failing message come ten more that must not wait for its retry.
    const next = Array.from({ length: 10 }, (_, i) => ({ topic, key: 'same', value: { id: `next-${i}` } }));
    await h.publish(app, [{ topic, key: 'same', value: { id: 'flaky-1', flaky: true } }, ...next]);
    const report = await h.allHandled(11);
    expect(report.lost, formatLedgerReport(report)).toEqual([]);
    const failures = handoffFailures.map((e) => String(e.error)).join('; ');
    expect(
      handoffFailures.length,
      `delayed retries the broker refused (message.retry-handoff-failed events: ${failures})`,
    ).toBe(0);
    expect(app.inspect().metrics.retryHandoffFailures, 'metrics.retryHandoffFailures').toBe(0);
    expect(seen.filter((s) => s.startsWith('flaky#'))).toEqual(['flaky#1', 'flaky#2', 'flaky#3']);
    expect(retries.map((r) => [r.mode, r.delayMs])).toEqual([
      ['delayed', RETRY_DELAY_MS],
      ['delayed', RETRY_DELAY_MS],
    ]);
    for (const attempt of [1, 2]) {
      // A missing timestamp gives NaN, which fails the bound below.
      const waited = (startedAt[attempt + 1] ?? NaN) - (failedAt[attempt] ?? NaN);
      expect(
        waited,
        `attempt ${attempt + 1} came ${waited} ms after attempt ${attempt} failed, before its ${RETRY_DELAY_MS} ms delay`,
      ).toBeGreaterThanOrEqual(RETRY_DELAY_MS - DELAY_SLACK_MS);
    }
    const retried = seen.indexOf('flaky#2');
    const blocked = next.filter((m) => seen.indexOf(m.value.id) > retried).map((m) => m.value.id);
    expect(
      blocked,
      `the partition did not flow during the delay: these waited for the retry (seen: ${seen.join(', ')})`,
    ).toEqual([]);
  },
};

export const failureScenarios: readonly Scenario[] = [
  retryThenSuccess,
  poisonToDeadLetter,
  continuesAfterErrors,
  delayedRetry,
];
