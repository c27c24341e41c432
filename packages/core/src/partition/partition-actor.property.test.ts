import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NonRetryableError, createApp, createVirtualClock, defineHandler, type LaneHandle, type Transport } from '../index.js';
import { createLaneTransport } from '../../test-fixtures/lane-transport.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

interface Plan { key: string; failures: number; poison: boolean; workMs: number }

/** Wrap the fixture so every commit is checked against what had settled when it was made. */
function checkedTransport(inner: Transport, settled: Map<number, Set<number>>, violations: string[]): Transport {
  return {
    ...inner,
    name: inner.name,
    capabilities: inner.capabilities,
    connect: () => inner.connect(),
    publish: (r) => inner.publish(r),
    health: () => inner.health(),
    close: () => inner.close(),
    subscribe: (spec, sink) => inner.subscribe(spec, {
      revoked: (id) => sink.revoked(id),
      assigned: (lane: LaneHandle) => sink.assigned({
        ...lane, id: lane.id, pause: () => lane.pause(), resume: () => lane.resume(),
        commit: async (next, meta) => {
          const done = settled.get(lane.id.partition) ?? new Set<number>();
          for (let o = 0; o < Number(next); o++) {
            if (!done.has(o)) violations.push(`partition ${lane.id.partition}: committed ${next} past unsettled offset ${o}`);
          }
          return lane.commit!(next, meta);
        },
      }),
    }),
  };
}

describe('partition actor properties', () => {
  it('loses nothing, keeps per-key order under blocking retry, and never commits past an unsettled message', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          partitions: fc.integer({ min: 1, max: 4 }),
          ordering: fc.constantFrom('key' as const, 'partition' as const, 'none' as const),
          maxInFlight: fc.integer({ min: 1, max: 16 }),
          maxAttempts: fc.integer({ min: 1, max: 4 }),
          plans: fc.array(
            fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd', 'e'), failures: fc.integer({ min: 0, max: 4 }), poison: fc.boolean(), workMs: fc.integer({ min: 0, max: 5 }) }),
            { minLength: 1, maxLength: 60 },
          ),
        }),
        async ({ partitions, ordering, maxInFlight, maxAttempts, plans }) => {
          const clock = createVirtualClock();
          const base = createLaneTransport({ partitions, now: clock.now, batch: 7 });
          const settled = new Map<number, Set<number>>();
          const violations: string[] = [];
          const transport = checkedTransport(base, settled, violations);
          const markSettled = (p: number, o: string): void => {
            if (!settled.has(p)) settled.set(p, new Set());
            settled.get(p)!.add(Number(o));
          };
          const successes: { id: number; key: string; partition: number; offset: number }[] = [];
          const tries = new Map<number, number>();
          const app = createApp({
            transport, clock, logger: silent, random: () => 0.5,
            handlers: [defineHandler<{ id: number }>({
              name: 'p', topic: 't', ordering, maxInFlight,
              retry: { maxAttempts, backoff: { initialMs: 3, multiplier: 2, maxMs: 20, jitter: 0.5 } },
              async handle(m) {
                const plan = plans[m.value.id]!;
                const n = (tries.get(m.value.id) ?? 0) + 1;
                tries.set(m.value.id, n);
                if (plan.workMs > 0) await new Promise<void>((r) => clock.setTimeout(r, plan.workMs));
                if (plan.poison) throw new NonRetryableError('poison');
                if (n <= plan.failures) throw new Error('transient');
                successes.push({ id: m.value.id, key: m.key!, partition: m.partition, offset: Number(m.offset) });
              },
            })],
          });
          app.on('message.succeeded', (e) => markSettled(e.message.partition, e.message.offset));
          app.on('message.dead-lettered', (e) => markSettled(e.message.partition, e.message.offset));
          await app.start();
          await app.publish(plans.map((p, id) => ({ topic: 't', key: p.key, value: { id } })));
          for (let i = 0; i < 2000 && app.inspect().metrics.succeeded + app.inspect().metrics.deadLettered < plans.length; i++) await clock.advance(5);
          await app.stop();

          // Nothing lost: each message either succeeded once or was dead-lettered (confirmed copy).
          const dlq = base.published.filter((r) => r.topic === 't.dlq').map((r) => (JSON.parse(Buffer.from(r.value).toString()) as { id: number }).id);
          const ok = successes.map((s) => s.id);
          expect(new Set([...ok, ...dlq]).size).toBe(plans.length);
          expect(ok.length + dlq.length).toBe(plans.length);
          for (const [id, p] of plans.entries()) {
            const expectOk = !p.poison && p.failures < maxAttempts;
            expect(ok.includes(id)).toBe(expectOk);
          }
          // Per-key order of successes follows offset order (key and partition ordering).
          if (ordering !== 'none') {
            const last = new Map<string, number>();
            for (const s of successes) {
              const k = `${s.partition}/${ordering === 'key' ? s.key : ''}`;
              expect(s.offset).toBeGreaterThan(last.get(k) ?? -1);
              last.set(k, s.offset);
            }
          }
          // The committed watermark never passed an unsettled message, and ends at the log end.
          expect(violations).toEqual([]);
          for (let p = 0; p < partitions; p++) expect(base.committed('t', p)).toBe(base.log('t', p).length);
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});
