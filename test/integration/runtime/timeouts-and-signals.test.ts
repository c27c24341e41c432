// Issue 11, "Timeouts and signals": every attempt has its own signal and
// attempt number, aborted at its own deadline; every hung handler times out
// at its own deadline, also when other timeouts free slots for new work.
// Virtual time on the embedded broker.
import { describe, expect, it } from 'vitest';
import { createApp, createVirtualClock, defineHandler, type App, type VirtualClock } from '@partita/core';
import { memoryTransport, type MemoryBroker } from '@partita/memory';
import { waitFor } from '@partita/testing';
import { afterThisTest, memoryBroker, quiet, uniq } from '../support/app-harness.js';

/** stop() waits on the app's clock: let virtual time pass the drain deadline. */
async function stopInVirtualTime(app: App, clock: VirtualClock): Promise<void> {
  const stopping = app.stop({ drainTimeoutMs: 0 });
  await clock.advance(1);
  await stopping;
}
const memory = (): MemoryBroker => memoryBroker(1);

describe('timeouts and signals', () => {
  it('each attempt has its own signal, aborted at its own deadline even when first read later, and its own attempt number', async () => {
    const clock = createVirtualClock();
    const topic = uniq('t');
    const gates: (() => void)[] = [];
    const seen: { attempt: number; ctxAttempt: number; aborted: boolean; when: 'start' | 'late' }[] = [];
    const app: App = createApp({
      transport: memoryTransport(memory()),
      clock,
      logger: quiet,
      handlers: [
        defineHandler({
          name: uniq('h'),
          topic,
          timeoutMs: 1000,
          retry: { maxAttempts: 3, backoff: { initialMs: 10, jitter: 0 } },
          async handle(msg, ctx) {
            if (msg.attempt === 1) {
              await new Promise<void>((r) => gates.push(r)); // hangs past its deadline without looking at the signal
              seen.push({ attempt: msg.attempt, ctxAttempt: ctx.attempt, aborted: ctx.signal.aborted, when: 'late' });
              return;
            }
            seen.push({ attempt: msg.attempt, ctxAttempt: ctx.attempt, aborted: ctx.signal.aborted, when: 'start' });
            await new Promise<void>((r) => gates.push(r));
          },
        }),
      ],
    });
    afterThisTest(() => stopInVirtualTime(app, clock));
    await app.start();
    await app.publish({ topic, key: 'k', value: 1 });
    await waitFor(() => gates.length === 1, { description: 'attempt 1 running' });
    await clock.advance(1001); // attempt 1 times out; attempt 2 starts after the 10 ms backoff
    await clock.advance(20);
    await waitFor(() => gates.length === 2, { description: 'attempt 2 running' });
    gates[0]!(); // the timed-out attempt 1 now looks at its context
    await waitFor(() => seen.length === 2, { description: 'both attempts observed' });
    expect(seen).toContainEqual({ attempt: 2, ctxAttempt: 2, aborted: false, when: 'start' });
    expect(seen).toContainEqual({ attempt: 1, ctxAttempt: 1, aborted: true, when: 'late' });
    gates[1]!();
  });

  it('every hung handler times out at its own deadline, also when a timeout frees a slot for new work', async () => {
    const clock = createVirtualClock();
    const topic = uniq('t');
    const timedOutAt = new Map<number, number>();
    const startedAt = new Map<number, number>();
    const app: App = createApp({
      transport: memoryTransport(memory()),
      clock,
      logger: quiet,
      handlers: [
        defineHandler<{ n: number }>({
          name: uniq('h'),
          topic,
          timeoutMs: 1000,
          maxInFlight: 3,
          retry: { maxAttempts: 1 },
          handle: (msg) => {
            startedAt.set(msg.value.n, clock.now());
            return new Promise<void>(() => undefined); // never finishes
          },
        }),
      ],
    });
    app.on('message.failed', (e) => timedOutAt.set((e.message.value as { n: number }).n, clock.now()));
    afterThisTest(() => stopInVirtualTime(app, clock));
    await app.start();
    // Three hung handlers started at 0, 300 and 600 ms; a fourth waits for a slot.
    await app.publish({ topic, key: 'k1', value: { n: 1 } });
    await waitFor(() => startedAt.has(1), { description: 'n1 started' });
    await clock.advance(300);
    await app.publish({ topic, key: 'k2', value: { n: 2 } });
    await waitFor(() => startedAt.has(2), { description: 'n2 started' });
    await clock.advance(300);
    await app.publish([
      { topic, key: 'k3', value: { n: 3 } },
      { topic, key: 'k4', value: { n: 4 } },
    ]);
    await waitFor(() => startedAt.has(3), { description: 'n3 started' });
    for (let t = 0; t < 30; t++) await clock.advance(100);
    expect(startedAt.get(4)).toBe(1000); // took n1's slot when n1 timed out
    for (const n of [1, 2, 3, 4]) {
      const deadline = startedAt.get(n)! + 1000;
      expect(timedOutAt.get(n), `n${n} timed out at its deadline ${deadline}`).toBeGreaterThanOrEqual(deadline);
      expect(timedOutAt.get(n)! - deadline, `n${n} timed out late`).toBeLessThanOrEqual(100);
    }
  });
});
