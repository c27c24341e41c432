import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  ClosedError,
  DLQ_HEADERS,
  NonRetryableError,
  createApp,
  createVirtualClock,
  defineHandler,
  jsonCodec,
  type Message,
  type AppOptions,
  createConsoleLogger,
} from '../index.js';
import { createLaneTransport } from '../../test-fixtures/lane-transport.js';
import { until } from '../../test-fixtures/until.js';

const silent = createConsoleLogger({ level: 'silent' });
/** A tombstone (null value) decodes to null. */
const decode = (v: Uint8Array | null): unknown => (v === null ? null : jsonCodec.decode(v));

function app(opts: Partial<AppOptions> & Pick<AppOptions, 'transport'>) {
  return createApp({ logger: silent, ...opts });
}

describe('createApp', () => {
  it('delivers published messages with key, headers and value, and commits the watermark', async () => {
    const transport = createLaneTransport({ partitions: 2 });
    const seen: Message[] = [];
    const a = app({
      transport,
      handlers: [defineHandler({ name: 'h', topic: 'orders', handle: (m) => void seen.push(m) })],
    });
    await a.start();
    await a.publish([
      { topic: 'orders', key: 'k1', value: { n: 1 }, headers: { source: 'web' } },
      { topic: 'orders', key: 'k2', value: { n: 2 } },
    ]);
    await until(() => seen.length === 2, 'two messages');
    const m = seen.find((x) => x.key === 'k1')!;
    expect(m.value).toEqual({ n: 1 });
    expect(m.headers.source).toBe('web');
    expect(m.headers['content-type']).toBe('application/json');
    expect(m.attempt).toBe(1);
    expect(m.id).toBe(`orders/${m.partition}/${m.offset}`);
    await a.stop();
    expect(transport.committed('orders', m.partition)).toBe(1);
    const lanes = a.inspect().lanes;
    expect(lanes.map((l) => l.state)).toEqual(['stopped', 'stopped']);
    expect(a.inspect().metrics.succeeded).toBe(2);
  });

  it('retries with exact backoff in virtual time, then succeeds', async () => {
    const clock = createVirtualClock(1_000);
    const transport = createLaneTransport({ now: () => clock.now() });
    const attempts: { attempt: number; at: number }[] = [];
    const a = app({
      transport,
      clock,
      random: () => 0.5,
      handlers: [
        defineHandler({
          name: 'h',
          topic: 't',
          retry: { maxAttempts: 4, backoff: { initialMs: 100, multiplier: 3, maxMs: 10_000, jitter: 0.2 } },
          handle: (_m, ctx) => {
            attempts.push({ attempt: ctx.attempt, at: clock.now() });
            if (ctx.attempt < 4) throw new Error('transient');
          },
        }),
      ],
    });
    await a.start();
    await a.publish({ topic: 't', value: 1 });
    await until(() => attempts.length === 1, 'first attempt');
    await clock.advance(99);
    expect(attempts.length).toBe(1);
    await clock.advance(1);
    expect(attempts.length).toBe(2);
    await clock.advance(300);
    expect(attempts.length).toBe(3);
    await clock.advance(900);
    expect(attempts).toEqual([
      { attempt: 1, at: 1000 },
      { attempt: 2, at: 1100 },
      { attempt: 3, at: 1400 },
      { attempt: 4, at: 2300 },
    ]);
    await until(() => a.inspect().metrics.succeeded === 1, 'success');
    expect(a.inspect().metrics.retried).toBe(3);
    await a.stop();
  });

  it('dead-letters a NonRetryableError at once with the docs/design.md §5 headers, value unchanged', async () => {
    const transport = createLaneTransport();
    let calls = 0;
    const a = app({
      transport,
      handlers: [
        defineHandler({
          name: 'billing',
          topic: 'orders',
          handle: () => {
            calls++;
            throw new NonRetryableError('bad order');
          },
        }),
      ],
    });
    const dead: string[] = [];
    a.on('message.dead-lettered', (e) => dead.push(e.reason));
    await a.start();
    await a.publish({ topic: 'orders', key: 'c-42', value: { total: 12 }, headers: { source: 'web' } });
    await until(() => transport.published.some((r) => r.topic === 'orders.dlq'), 'dlq copy');
    const copy = transport.published.find((r) => r.topic === 'orders.dlq')!;
    expect(decode(copy.value)).toEqual({ total: 12 });
    expect(copy.key).toBe('c-42');
    expect(copy.headers.source).toBe('web');
    expect(copy.headers[DLQ_HEADERS.topic]).toBe('orders');
    expect(copy.headers[DLQ_HEADERS.partition]).toBe('0');
    expect(copy.headers[DLQ_HEADERS.offset]).toBe('0');
    expect(copy.headers[DLQ_HEADERS.key]).toBe('c-42');
    expect(copy.headers[DLQ_HEADERS.attempts]).toBe('1');
    expect(copy.headers[DLQ_HEADERS.errorName]).toBe('NonRetryableError');
    expect(copy.headers[DLQ_HEADERS.errorMessage]).toBe('bad order');
    expect(copy.headers[DLQ_HEADERS.errorStack]).toContain('NonRetryableError');
    expect(Number.isNaN(Date.parse(copy.headers[DLQ_HEADERS.failedAt]!))).toBe(false);
    expect(copy.headers[DLQ_HEADERS.handler]).toBe('billing');
    expect(copy.headers[DLQ_HEADERS.group]).toBe('billing');
    expect(calls).toBe(1);
    await until(() => transport.committed('orders', 0) === 1, 'commit after dlq');
    expect(dead).toEqual(['non-retryable']);
    await a.stop();
  });

  it('dead-letters after maxAttempts with MaxRetriesExceededError and the last error as cause', async () => {
    const transport = createLaneTransport();
    const errors: unknown[] = [];
    const a = app({
      transport,
      handlers: [
        defineHandler({
          name: 'h',
          topic: 't',
          retry: { maxAttempts: 3, backoff: { initialMs: 1, jitter: 0 } },
          handle: (_m, ctx) => {
            throw new Error(`fail ${ctx.attempt}`);
          },
        }),
      ],
    });
    a.on('message.dead-lettered', (e) => errors.push(e.error));
    await a.start();
    await a.publish({ topic: 't', value: 'x' });
    await until(() => errors.length === 1, 'dead letter');
    const err = errors[0] as Error & { code: string; cause: Error };
    expect(err.name).toBe('MaxRetriesExceededError');
    expect(err.cause.message).toBe('fail 3');
    const copy = transport.published.find((r) => r.topic === 't.dlq')!;
    expect(copy.headers[DLQ_HEADERS.attempts]).toBe('3');
    expect(copy.headers[DLQ_HEADERS.errorName]).toBe('MaxRetriesExceededError');
    await a.stop();
  });

  it('dead-letters an undecodable payload with reason decode and keeps going', async () => {
    const transport = createLaneTransport();
    const ok: unknown[] = [];
    const reasons: string[] = [];
    const a = app({
      transport,
      handlers: [defineHandler({ name: 'h', topic: 't', handle: (m) => void ok.push(m.value) })],
    });
    a.on('message.dead-lettered', (e) => reasons.push(e.reason));
    await a.start();
    await transport.publish([{ topic: 't', value: new TextEncoder().encode('{not json'), headers: {} }]);
    await a.publish({ topic: 't', value: 'fine' });
    await until(() => ok.length === 1 && reasons.length === 1, 'decode dlq and next message');
    expect(reasons).toEqual(['decode']);
    expect(ok).toEqual(['fine']);
    await until(() => transport.committed('t', 0) === 2, 'commit past both');
    await a.stop();
  });

  it('times out a handler through ctx.signal and counts it as a failure', async () => {
    const transport = createLaneTransport();
    let aborted: unknown;
    const a = app({
      transport,
      handlers: [
        defineHandler({
          name: 'h',
          topic: 't',
          timeoutMs: 50,
          retry: { maxAttempts: 1 },
          handle: (_m, ctx) =>
            new Promise<void>((resolve) =>
              ctx.signal.addEventListener('abort', () => {
                aborted = ctx.signal.reason;
                resolve();
              }),
            ),
        }),
      ],
    });
    const reasons: string[] = [];
    a.on('message.dead-lettered', (e) => reasons.push(`${(e.error as Error).name}/${e.reason}`));
    await a.start();
    await a.publish({ topic: 't', value: 1 });
    await until(() => reasons.length === 1, 'timeout dead letter');
    expect((aborted as Error).name).toBe('TimeoutError');
    expect(reasons).toEqual(['MaxRetriesExceededError/timeout']);
    await a.stop();
  });

  it('a key waits for its failing message while other keys flow; the watermark waits', async () => {
    const clock = createVirtualClock();
    const transport = createLaneTransport({ now: () => clock.now() });
    const done: string[] = [];
    const a = app({
      transport,
      clock,
      random: () => 0.5,
      handlers: [
        defineHandler({
          name: 'h',
          topic: 't',
          retry: { maxAttempts: 2, backoff: { initialMs: 1000, jitter: 0 } },
          handle: (m, ctx) => {
            if (m.value === 'a1' && ctx.attempt === 1) throw new Error('x');
            done.push(m.value);
          },
        }),
      ],
    });
    await a.start();
    await a.publish(['a1', 'b1', 'a2', 'b2'].map((v) => ({ topic: 't', key: v[0], value: v })));
    await until(() => done.length === 2, 'b messages');
    expect(done).toEqual(['b1', 'b2']);
    await clock.advance(5);
    expect(transport.committed('t', 0)).toBe(0);
    expect(a.inspect().lanes[0]!.lag).toBe(2);
    await clock.advance(1000);
    await until(() => done.length === 4, 'a messages after retry');
    expect(done).toEqual(['b1', 'b2', 'a1', 'a2']);
    await until(() => transport.committed('t', 0) === 4, 'commit');
    await a.stop();
  });

  it('blocks the lane while the dead-letter publish keeps failing, never skipping it', async () => {
    const clock = createVirtualClock();
    const transport = createLaneTransport({ now: () => clock.now() });
    const a = app({
      transport,
      clock,
      handlers: [
        defineHandler({
          name: 'h',
          topic: 't',
          handle: () => {
            throw new NonRetryableError('no');
          },
        }),
      ],
    });
    const states: string[] = [];
    a.on('lane.state-changed', (e) => states.push(e.to));
    transport.failPublishes('t.dlq', 3);
    await a.start();
    await a.publish({ topic: 't', value: 1 });
    await until(() => states.includes('blocked'), 'blocked');
    expect((await a.health()).status).toBe('degraded');
    expect(transport.committed('t', 0)).toBe(0);
    for (let i = 0; i < 4; i++) await clock.advance(1000);
    await until(() => transport.published.some((r) => r.topic === 't.dlq'), 'dlq copy');
    await until(() => transport.committed('t', 0) === 1, 'commit');
    expect(states.at(-1)).toBe('running');
    expect((await a.health()).status).toBe('ok');
    await a.stop();
  });

  it('pauses a lane on backpressure and resumes it', async () => {
    const transport = createLaneTransport({ batch: 5000 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = app({
      transport,
      handlers: [defineHandler({ name: 'h', topic: 't', ordering: 'none', maxInFlight: 4, handle: () => gate })],
    });
    const paused: string[] = [];
    a.on('lane.paused', (e) => paused.push(e.reason));
    await a.start();
    await a.publish(Array.from({ length: 5000 }, (_, i) => ({ topic: 't', value: i })));
    await until(() => paused.length > 0, 'pause');
    expect(a.inspect().lanes[0]!.state).toBe('paused');
    expect(a.inspect().lanes[0]!.inFlight).toBe(4);
    release();
    await until(() => a.inspect().metrics.succeeded === 5000, 'all processed');
    await a.stop();
    expect(transport.committed('t', 0)).toBe(5000);
  });

  it('stop drains in-flight work, aborts it at the deadline and does not commit it', async () => {
    const transport = createLaneTransport();
    const a = app({
      transport,
      handlers: [
        defineHandler({
          name: 'h',
          topic: 't',
          handle: (m, ctx) => (m.value === 1 ? new Promise((r) => ctx.signal.addEventListener('abort', r)) : undefined),
        }),
      ],
    });
    await a.start();
    await a.publish([
      { topic: 't', value: 0 },
      { topic: 't', value: 1 },
      { topic: 't', value: 2 },
    ]);
    await until(() => a.inspect().metrics.succeeded === 2, 'two done');
    await Promise.all([a.stop({ drainTimeoutMs: 50 }), a.stop()]);
    expect(transport.committed('t', 0)).toBe(1);
    await expect(a.publish({ topic: 't', value: 3 })).rejects.toBeInstanceOf(ClosedError);
  });

  it('acks each message natively on a message-model transport', async () => {
    const transport = createLaneTransport({ ackModel: 'message' });
    const a = app({ transport, handlers: [defineHandler({ name: 'h', topic: 't', handle: () => undefined })] });
    await a.start();
    await a.publish([1, 2, 3].map((v) => ({ topic: 't', value: v })));
    await until(() => transport.commits.length === 3, 'three acks');
    await a.stop();
    // Each message settled once, natively, as 'ack' (no offset commit, no term).
    expect([...transport.commits].sort((x, y) => Number(x.offset) - Number(y.offset))).toEqual(
      ['0', '1', '2'].map((offset) => ({ topic: 't', partition: 0, offset, outcome: 'ack' })),
    );
  });

  it('restarts skip messages settled above the watermark (commit metadata)', async () => {
    const transport = createLaneTransport();
    const first: unknown[] = [];
    const a = app({
      transport,
      handlers: [
        defineHandler({
          name: 'h',
          topic: 't',
          retry: { maxAttempts: 100, backoff: { initialMs: 60_000 } },
          handle: (m) => {
            if (m.key === 'stuck') throw new Error('x');
            first.push(m.value);
          },
        }),
      ],
    });
    await a.start();
    await a.publish([
      { topic: 't', key: 'stuck', value: 0 },
      ...[1, 2, 3].map((v) => ({ topic: 't', key: `k${v}`, value: v })),
    ]);
    await until(() => first.length === 3, 'others done');
    await until(() => transport.commits.some((c) => c.metadata !== undefined), 'commit with metadata');
    await a.stop({ drainTimeoutMs: 10 });
    expect(transport.committed('t', 0)).toBe(0);
    const second: unknown[] = [];
    const b = app({
      transport,
      handlers: [defineHandler({ name: 'h', topic: 't', handle: (m) => void second.push(m.value) })],
    });
    await b.start();
    await until(() => second.length === 1, 'stuck message redelivered');
    await until(() => transport.committed('t', 0) === 4, 'commit');
    expect(second).toEqual([0]);
    await b.stop();
  });

  it('validates options with ConfigErrors that say what to do', () => {
    const transport = createLaneTransport();
    expect(() => createApp({} as AppOptions)).toThrow(/option "transport" is required/);
    const w = defineHandler({ name: 'w', topic: 't', worker: new URL('file:///x.js') });
    expect(() => createApp({ transport, handlers: [w] })).toThrow(ConfigError);
    expect(() => createApp({ transport, handlers: [w] })).toThrow(/workerPool/);
    const h = defineHandler({ name: 'h', topic: 't', handle: () => undefined });
    expect(() => createApp({ transport, handlers: [h, h] })).toThrow(/unique/);
  });
});
