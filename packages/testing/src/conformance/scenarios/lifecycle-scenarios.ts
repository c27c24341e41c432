import { expect } from 'vitest';
import { ClosedError, defineHandler } from '@partita/core';
import { formatLedgerReport } from '../../ledger/ledger-report.js';
import type { KitValue } from '../scenario-harness.js';
import { untilAborted } from '../scenario.js';
import type { Scenario } from '../scenario.js';

const concurrentStop: Scenario = {
  name: 'concurrent stop() calls all resolve, also with a message in flight',
  async run(h) {
    const topic = await h.topic('stop');
    let hung = false;
    const app = await h.app('a', [
      defineHandler<KitValue>({
        name: h.name('stop'),
        topic,
        retry: { maxAttempts: 1_000, backoff: { initialMs: 20, multiplier: 1, maxMs: 20, jitter: 0 } },
        async handle(m, ctx) {
          if (m.value.hang) {
            hung = true;
            await untilAborted(ctx.signal);
            throw new Error('aborted');
          }
          h.ledger.recordHandled({ id: m.value.id, key: m.key, by: 'a' });
        },
      }),
    ]);
    await h.lanes(app);
    await h.publish(
      app,
      Array.from({ length: 20 }, (_, i) => ({ topic, key: `k${i % 4}`, value: { id: `s-${i}` } })),
    );
    await app.publish({ topic, key: 'hang', value: { id: 'hang', hang: true } });
    await h.allHandled(20);
    await h.waitFor(() => hung, 'the hanging message to be in flight');
    const results = await Promise.allSettled([
      app.stop({ drainTimeoutMs: 300 }),
      app.stop({ drainTimeoutMs: 300 }),
      app.stop(),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(app.inspect().state).toBe('stopped');
    await expect(app.stop()).resolves.toBeUndefined();
  },
};

const publishAfterClose: Scenario = {
  name: 'publish after stop() or after the transport closed rejects with ClosedError',
  async run(h) {
    const topic = await h.topic('closed');
    const msg = { topic, key: 'k', value: { id: 'late' } };

    const stopped = await h.app('stopped', []);
    await stopped.publish({ topic, value: { id: 'before-stop' } });
    await stopped.stop();
    await expect(stopped.publish(msg)).rejects.toBeInstanceOf(ClosedError);

    const transport = await h.transport('raw');
    await transport.connect();
    await Promise.all([transport.close(), transport.close()]);
    await expect(transport.close()).resolves.toBeUndefined();
    const raw = {
      topic,
      value: new TextEncoder().encode('{"id":"raw"}'),
      headers: { 'content-type': 'application/json' },
    };
    await expect(transport.publish([raw])).rejects.toBeInstanceOf(ClosedError);

    const shared = await h.transport('underneath');
    const app = await h.app('underneath', [], { transport: shared });
    await app.publish({ topic, value: { id: 'before-close' } });
    await shared.close();
    await expect(app.publish(msg)).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  },
};

const reconnect: Scenario = {
  name: 'after the connection is cut (RST) and healed, the app reconnects and handles everything published',
  requires: ['reconnect'],
  async run(h) {
    const proxy = await h.proxy();
    const topic = await h.topic('reconnect');
    const app = await h.app(
      'a',
      [
        defineHandler<KitValue>({
          name: h.name('reconnect'),
          topic,
          handle: (m) => h.ledger.recordHandled({ id: m.value.id, key: m.key, by: 'a' }),
        }),
      ],
      { proxy },
    );
    await h.lanes(app);
    await h.waitFor(() => proxy.stats().active > 0, 'the transport to connect through the proxy');
    await h.publish(
      app,
      Array.from({ length: 200 }, (_, i) => ({ topic, key: `k${i % 8}`, value: { id: `before-${i}` } })),
    );
    // Cut mid-stream: as soon as some, not necessarily all, were handled.
    await h.waitFor(() => h.ledger.report().handled > 0, 'the first messages to be handled');
    await proxy.refuse();
    const cut = proxy.reset();
    expect(cut, 'connections were cut').toBeGreaterThan(0);
    await h.waitFor(() => proxy.stats().active === 0, 'every proxied connection to be gone');
    await proxy.heal();
    await h.publish(
      app,
      Array.from({ length: 100 }, (_, i) => ({ topic, key: `k${i % 8}`, value: { id: `after-${i}` } })),
      { retryUntilConfirmed: true },
    );
    const report = await h.allHandled(300);
    expect(report.lost, formatLedgerReport(report)).toEqual([]);
    expect(proxy.stats().accepted, 'the transport opened a new connection').toBeGreaterThan(cut);
  },
};

export const lifecycleScenarios: readonly Scenario[] = [concurrentStop, publishAfterClose, reconnect];
