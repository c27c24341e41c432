import { describe, expect, it } from 'vitest';
import {
  NonRetryableError,
  createApp,
  createConsoleLogger,
  createVirtualClock,
  defineHandler,
  type HandlerContext,
  type Logger,
  type Message,
} from '../index.js';
import { createLaneTransport } from '../../test-fixtures/lane-transport.js';

// Branches of the partition actor the coverage report showed untested:
// message-model settlement failures, delayed retries through nack, dropped
// failures (deadLetter: false) and per-entry timeouts with several in flight.

/** A logger whose warning messages are in `warnings`. */
function capture(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const write = (line: string): void => {
    const { level, msg } = JSON.parse(line) as { level: string; msg: string };
    if (level === 'warn') warnings.push(msg);
  };
  return Object.assign(createConsoleLogger({ level: 'warn', destination: { write } }), { warnings });
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('partition actor, message model', () => {
  it('a failing ack is reported (warning and error event); the lane goes on and stops without waiting for it', async () => {
    const transport = createLaneTransport({ ackModel: 'message' });
    const logger = capture();
    const errors: string[] = [];
    const app = createApp({
      transport,
      logger,
      handlers: [defineHandler({ name: 'm', topic: 't', handle: () => undefined })],
    });
    app.on('error', (e) => void errors.push(`${e.where}: ${String(e.error)}`));
    transport.failSettles(1);
    await app.start();
    await app.publish({ topic: 't', value: 1 });
    await until(() => errors.length === 1, 'the error event');
    expect(errors).toEqual(['settle t: Error: injected settle failure']);
    expect(logger.warnings).toContain('settle failed; the broker will redeliver');
    await app.publish({ topic: 't', value: 2 });
    await until(() => transport.commits.length === 1, 'the next ack');
    expect(transport.commits.map((c) => c.offset)).toEqual(['1']);
    await app.stop({ drainTimeoutMs: 1_000 });
    expect(app.inspect().state).toBe('stopped');
  });

  it("retry.mode 'delayed' hands the record back through nack(delayMs); the redelivery is the next attempt", async () => {
    const transport = createLaneTransport({ ackModel: 'message', nativeDelay: true });
    const attempts: number[] = [];
    const retries: string[] = [];
    const app = createApp({
      transport,
      logger: capture(),
      handlers: [
        defineHandler({
          name: 'm',
          topic: 't',
          retry: { mode: 'delayed', maxAttempts: 3, backoff: { initialMs: 40, multiplier: 1, maxMs: 40, jitter: 0 } },
          handle: (m) => {
            attempts.push(m.attempt);
            if (m.attempt < 2) throw new Error('once');
          },
        }),
      ],
    });
    app.on('message.retry-scheduled', (e) => void retries.push(e.mode));
    await app.start();
    await app.publish({ topic: 't', value: 1 });
    await until(() => app.inspect().metrics.succeeded === 1, 'the redelivered attempt');
    expect(attempts).toEqual([1, 2]);
    expect(retries).toEqual(['delayed']);
    expect(transport.nacks).toEqual([{ offset: '0', delayMs: 40 }]);
    // The nacked delivery is not acked (the broker owns it again); the redelivery is.
    await until(() => transport.commits.length > 0, 'the ack of the redelivery');
    expect(transport.commits.map((c) => c.offset)).toEqual(['1']);
    expect(app.inspect().metrics.retryHandoffFailures).toBe(0);
    await app.stop();
  });

  it('a refused nack falls back to an in-place retry after the delay: event, metric and warning', async () => {
    const clock = createVirtualClock();
    const transport = createLaneTransport({ ackModel: 'message', nativeDelay: true, now: () => clock.now() });
    const logger = capture();
    const attempts: number[] = [];
    const handoffs: number[] = [];
    const app = createApp({
      transport,
      clock,
      logger,
      handlers: [
        defineHandler({
          name: 'm',
          topic: 't',
          retry: { mode: 'delayed', maxAttempts: 3, backoff: { initialMs: 40, multiplier: 1, maxMs: 40, jitter: 0 } },
          handle: (m) => {
            attempts.push(m.attempt);
            if (m.attempt < 2) throw new Error('once');
          },
        }),
      ],
    });
    app.on('message.retry-handoff-failed', (e) => void handoffs.push(e.delayMs));
    transport.failNacks(1);
    await app.start();
    await app.publish({ topic: 't', value: 1 });
    await until(() => handoffs.length === 1, 'the failed hand-off');
    await clock.advance(39);
    expect(attempts, 'not retried before its delay').toEqual([1]);
    await clock.advance(1);
    await until(() => app.inspect().metrics.succeeded === 1, 'the in-place retry');
    expect(attempts).toEqual([1, 2]);
    expect(handoffs).toEqual([40]);
    expect(app.inspect().metrics.retryHandoffFailures).toBe(1);
    expect(logger.warnings).toContain('delayed retry hand-off failed; retrying in place');
    expect(transport.nacks).toEqual([]);
    const stopping = app.stop();
    await clock.advance(100);
    await stopping;
  });
});

describe('partition actor, offset model', () => {
  it('deadLetter: false drops a failed message with a warning, publishes no copy and commits past it', async () => {
    const transport = createLaneTransport();
    const logger = capture();
    const dead: (string | null)[] = [];
    const app = createApp({
      transport,
      logger,
      handlers: [
        defineHandler({
          name: 'd',
          topic: 't',
          deadLetter: false,
          handle: (m) => {
            if (m.value === 0) throw new NonRetryableError('poison');
          },
        }),
      ],
    });
    app.on('message.dead-lettered', (e) => void dead.push(e.deadLetterTopic));
    await app.start();
    await app.publish([
      { topic: 't', value: 0 },
      { topic: 't', value: 1 },
    ]);
    await until(() => transport.committed('t', 0) === 2, 'committed past the dropped message');
    expect(dead).toEqual([null]);
    expect(logger.warnings).toContain('message dropped after failure (dead-lettering disabled)');
    expect(transport.published.filter((r) => r.topic !== 't')).toEqual([]);
    await app.stop();
  });

  it('each in-flight message times out at its own deadline, not at the first one', async () => {
    const clock = createVirtualClock();
    const transport = createLaneTransport({ now: () => clock.now() });
    const timedOut: number[] = [];
    let secondPublish: Promise<void> | undefined;
    const app = createApp({
      transport,
      clock,
      logger: capture(),
      handlers: [
        defineHandler<number>({
          name: 'x',
          topic: 't',
          ordering: 'none',
          timeoutMs: 100,
          retry: { maxAttempts: 1 },
          handle: (m, ctx) =>
            new Promise<void>((resolve) => {
              ctx.signal.addEventListener('abort', () => resolve());
              if (m.value === 0)
                clock.setTimeout(() => {
                  secondPublish = app.publish({ topic: 't', value: 1 });
                }, 60);
            }),
        }),
      ],
    });
    app.on('message.dead-lettered', (e) => void timedOut.push(e.message.value as number));
    await app.start();
    await app.publish({ topic: 't', value: 0 });
    await until(() => app.inspect().lanes[0]?.inFlight === 1, 'the first in flight');
    await clock.advance(60);
    await secondPublish;
    await until(() => app.inspect().lanes[0]?.inFlight === 2, 'the second in flight');
    await clock.advance(40);
    await until(() => timedOut.length === 1, 'the first timeout');
    expect(timedOut).toEqual([0]);
    await clock.advance(59);
    expect(timedOut, 'the second is not due before 160 ms').toEqual([0]);
    await clock.advance(1);
    await until(() => timedOut.length === 2, 'the second timeout');
    expect(timedOut).toEqual([0, 1]);
    const stopping = app.stop();
    await clock.advance(100);
    await stopping;
  });

  it("what a handler kept of an attempt stays that attempt's: message, attempt, value and aborted signal", async () => {
    const clock = createVirtualClock();
    const transport = createLaneTransport({ now: () => clock.now() });
    const seen: { message: Message<{ n: number }>; ctx: HandlerContext }[] = [];
    const app = createApp({
      transport,
      clock,
      logger: capture(),
      handlers: [
        defineHandler<{ n: number }>({
          name: 'k',
          topic: 't',
          timeoutMs: 100,
          retry: { maxAttempts: 2, backoff: { initialMs: 10, multiplier: 1, maxMs: 10, jitter: 0 } },
          handle: (message, ctx) => {
            seen.push({ message, ctx });
            // The first attempt hangs until its deadline; the second succeeds.
            return seen.length === 1
              ? new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r()))
              : undefined;
          },
        }),
      ],
    });
    await app.start();
    await app.publish({ topic: 't', key: 'a', value: { n: 7 } });
    await until(() => seen.length === 1, 'the first attempt');
    await clock.advance(100);
    await until(() => app.inspect().lanes[0]?.retried === 1, 'the retry to be scheduled');
    await clock.advance(10);
    await until(() => app.inspect().lanes[0]?.succeeded === 1, 'the second attempt');
    const [first, second] = seen;
    expect(first!.message).not.toBe(second!.message);
    expect([first!.message.attempt, first!.ctx.attempt, second!.message.attempt, second!.ctx.attempt]).toEqual([
      1, 1, 2, 2,
    ]);
    expect([first!.ctx.signal.aborted, second!.ctx.signal.aborted]).toEqual([true, false]);
    expect(first!.message.value).toEqual({ n: 7 });
    expect(JSON.parse(JSON.stringify(first!.message))).toEqual({
      id: 't/0/0',
      topic: 't',
      key: 'a',
      value: { n: 7 },
      headers: { 'content-type': 'application/json' },
      partition: 0,
      offset: '0',
      timestamp: first!.message.timestamp,
      attempt: 1,
    });
    const keys = (m: Message): string[] => Object.keys(JSON.parse(JSON.stringify(m)) as object).sort();
    expect(keys(second!.message)).toEqual(keys(first!.message));
    const stopping = app.stop();
    await clock.advance(100);
    await stopping;
  });
});
