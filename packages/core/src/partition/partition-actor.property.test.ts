import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NonRetryableError,
  createApp,
  createVirtualClock,
  defineHandler,
  type App,
  type LaneHandle,
  type Transport,
  type VirtualClock,
  createConsoleLogger,
} from '../index.js';
import { createLaneTransport, type LaneTransport } from '../../test-fixtures/lane-transport.js';
import { parseSettledOffsets } from './watermark.js';

const silent = createConsoleLogger({ level: 'silent' });

interface Plan {
  key: string;
  failures: number;
  poison: boolean;
  workMs: number;
}
type Ordering = 'key' | 'partition' | 'none';
interface Faults {
  /** Commits that fail (the first n). */
  commitFailures: number;
  /** Dead-letter publishes that fail (the first n). */
  dlqFailures: number;
  /** Stop the first app after this many steps of 5 virtual ms and restart from what it committed; null: one app runs to the end. */
  restartAfter: number | null;
  /** Before that stop, the broker takes every lane away without telling the app (a zombie's commits are refused). */
  revokeFirst: boolean;
}
interface Committed {
  offset: number;
  metadata: string | undefined;
}
/** What one app saw, in order, per ordering group: `start` of each attempt and the `settled` outcome. */
interface Step {
  kind: 'start' | 'settled';
  id: number;
  offset: number;
}

/**
 * Wrap the fixture: each commit is checked against what had settled when it was
 * made (offsets below the watermark and the offsets its metadata lists), and
 * the last commit the broker accepted is remembered per partition.
 */
function checkedTransport(
  inner: Transport,
  settled: Map<number, Set<number>>,
  committed: Map<number, Committed>,
  violations: string[],
): Transport {
  return {
    name: inner.name,
    capabilities: inner.capabilities,
    connect: () => inner.connect(),
    publish: (r) => inner.publish(r),
    health: () => inner.health(),
    // The fixture plays the broker, shared by the apps of a restart: an app's close leaves it open.
    close: async () => undefined,
    subscribe: (spec, sink) =>
      inner.subscribe(spec, {
        revoked: (id) => sink.revoked(id),
        assigned: (lane: LaneHandle) => {
          if (lane.ackModel !== 'offset') throw new Error('the property test wraps offset lanes');
          return sink.assigned({
            ackModel: 'offset',
            id: lane.id,
            pause: () => lane.pause(),
            resume: () => lane.resume(),
            ...(lane.committedMetadata !== undefined ? { committedMetadata: lane.committedMetadata } : {}),
            commit: async (next, metadata) => {
              const p = lane.id.partition;
              const done = settled.get(p) ?? new Set<number>();
              for (let o = 0; o < Number(next); o++) {
                if (!done.has(o)) violations.push(`partition ${p}: committed ${next} past unsettled offset ${o}`);
              }
              for (const o of parseSettledOffsets(metadata)) {
                if (o < Number(next) || !done.has(o))
                  violations.push(
                    `partition ${p}: commit ${next} metadata ${metadata} lists offset ${o}, which is ${o < Number(next) ? 'below the watermark' : 'unsettled'}`,
                  );
              }
              const ok = await lane.commit(next, metadata);
              if (ok) committed.set(p, { offset: Number(next), metadata });
              return ok;
            },
          });
        },
      }),
  };
}

/** One app on the shared fixture, recording what it did. */
function startRun(opts: {
  base: LaneTransport;
  clock: VirtualClock;
  plans: readonly Plan[];
  ordering: Ordering;
  maxInFlight: number;
  maxAttempts: number;
  settled: Map<number, Set<number>>;
  committed: Map<number, Committed>;
  violations: string[];
}) {
  const { base, clock, plans, ordering, maxInFlight, maxAttempts, settled } = opts;
  const timelines = new Map<string, Step[]>();
  const firstAttempts = new Map<number, number[]>();
  const succeeded: number[] = [];
  const deadLettered: number[] = [];
  const group = (partition: number, key: string): string =>
    ordering === 'key' ? `${partition}/${key}` : `${partition}`;
  const step = (partition: number, key: string, s: Step): void => {
    const g = group(partition, key);
    if (!timelines.has(g)) timelines.set(g, []);
    timelines.get(g)!.push(s);
  };
  const markSettled = (p: number, o: number): void => {
    if (!settled.has(p)) settled.set(p, new Set());
    settled.get(p)!.add(o);
  };
  const app = createApp({
    transport: checkedTransport(base, settled, opts.committed, opts.violations),
    clock,
    logger: silent,
    random: () => 0.5,
    handlers: [
      defineHandler<{ id: number }>({
        name: 'p',
        topic: 't',
        ordering,
        maxInFlight,
        retry: { maxAttempts, backoff: { initialMs: 3, multiplier: 2, maxMs: 20, jitter: 0.5 } },
        async handle(m) {
          const plan = plans[m.value.id]!;
          step(m.partition, m.key!, { kind: 'start', id: m.value.id, offset: Number(m.offset) });
          if (m.attempt === 1) {
            if (!firstAttempts.has(m.partition)) firstAttempts.set(m.partition, []);
            firstAttempts.get(m.partition)!.push(Number(m.offset));
          }
          if (plan.workMs > 0) await new Promise<void>((r) => clock.setTimeout(r, plan.workMs));
          if (plan.poison) throw new NonRetryableError('poison');
          if (m.attempt <= plan.failures) throw new Error('transient');
        },
      }),
    ],
  });
  const settle = (
    kind: 'ok' | 'dead',
    m: { value: unknown; partition: number; key?: string | undefined; offset: string },
  ): void => {
    const id = (m.value as { id: number }).id;
    (kind === 'ok' ? succeeded : deadLettered).push(id);
    markSettled(m.partition, Number(m.offset));
    step(m.partition, m.key!, { kind: 'settled', id, offset: Number(m.offset) });
  };
  app.on('message.succeeded', (e) => settle('ok', e.message));
  app.on('message.dead-lettered', (e) => settle('dead', e.message));
  return { app, timelines, firstAttempts, succeeded, deadLettered };
}

/**
 * Per ordering group, one message at a time in offset order: no attempt of a
 * message starts while an earlier one of the group is unsettled (retrying, or
 * waiting for its dead-letter copy), whatever its outcome.
 */
function orderViolations(timelines: Map<string, Step[]>): string[] {
  const out: string[] = [];
  for (const [g, steps] of timelines) {
    let current: Step | undefined;
    let last = -1;
    for (const s of steps) {
      if (s.kind === 'start') {
        if (current !== undefined && current.id !== s.id)
          out.push(`${g}: started offset ${s.offset} while offset ${current.offset} was unsettled`);
        if (current === undefined && s.offset <= last)
          out.push(`${g}: started offset ${s.offset} after offset ${last} had settled`);
        current = s;
      } else {
        if (current?.id !== s.id) out.push(`${g}: offset ${s.offset} settled while not running`);
        last = s.offset;
        current = undefined;
      }
    }
  }
  return out;
}

async function stopApp(app: App, clock: VirtualClock): Promise<void> {
  let stopped = false;
  const stopping = app.stop({ drainTimeoutMs: 20 }).finally(() => (stopped = true));
  for (let i = 0; i < 2_000 && !stopped; i++) await clock.advance(5);
  await stopping;
}

describe('partition actor properties', () => {
  it('loses nothing, keeps per-key order for every outcome, commits offset and metadata that a restart resumes from exactly, under transport faults', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          partitions: fc.integer({ min: 1, max: 4 }),
          ordering: fc.constantFrom<Ordering>('key', 'partition', 'none'),
          maxInFlight: fc.integer({ min: 1, max: 16 }),
          maxAttempts: fc.integer({ min: 1, max: 4 }),
          plans: fc.array(
            fc.record({
              key: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
              failures: fc.integer({ min: 0, max: 4 }),
              poison: fc.boolean(),
              workMs: fc.integer({ min: 0, max: 5 }),
            }),
            { minLength: 1, maxLength: 60 },
          ),
          faults: fc.record<Faults>({
            commitFailures: fc.integer({ min: 0, max: 4 }),
            dlqFailures: fc.integer({ min: 0, max: 3 }),
            restartAfter: fc.option(fc.integer({ min: 0, max: 30 }), { nil: null }),
            revokeFirst: fc.boolean(),
          }),
        }),
        async ({ partitions, ordering, maxInFlight, maxAttempts, plans, faults }) => {
          const clock = createVirtualClock();
          const base = createLaneTransport({ partitions, now: () => clock.now(), batch: 7 });
          const settled = new Map<number, Set<number>>();
          const committed = new Map<number, Committed>();
          const violations: string[] = [];
          const run = () =>
            startRun({ base, clock, plans, ordering, maxInFlight, maxAttempts, settled, committed, violations });
          const outcomes = new Set<number>();
          /** Every message has an outcome and the end of every partition is committed. */
          const finished = (r: ReturnType<typeof run>): boolean => {
            for (const id of [...r.succeeded, ...r.deadLettered]) outcomes.add(id);
            if (outcomes.size < plans.length) return false;
            for (let p = 0; p < partitions; p++)
              if ((committed.get(p)?.offset ?? 0) !== base.log('t', p).length) return false;
            return true;
          };
          base.failCommits(faults.commitFailures);
          base.failPublishes('t.dlq', faults.dlqFailures);

          const first = run();
          await first.app.start();
          await first.app.publish(plans.map((p, id) => ({ topic: 't', key: p.key, value: { id } })));
          const steps = faults.restartAfter ?? 4_000;
          for (let i = 0; i < steps && !finished(first); i++) await clock.advance(5);
          if (faults.restartAfter !== null && faults.revokeFirst) await base.revokeAll();
          await stopApp(first.app, clock);
          const runs = [first];

          if (faults.restartAfter !== null) {
            // A restart resumes from the committed offset and metadata: it handles exactly the
            // offsets at or above the watermark that the metadata does not list as settled.
            const resumeFrom = new Map(committed);
            const second = run();
            runs.push(second);
            await second.app.start();
            for (let i = 0; i < 4_000 && !finished(second); i++) await clock.advance(5);
            await stopApp(second.app, clock);
            for (let p = 0; p < partitions; p++) {
              const c = resumeFrom.get(p) ?? { offset: 0, metadata: undefined };
              const skipped = parseSettledOffsets(c.metadata);
              const expected = base
                .log('t', p)
                .map((_, o) => o)
                .filter((o) => o >= c.offset && !skipped.has(o));
              expect(
                [...(second.firstAttempts.get(p) ?? [])].sort((a, b) => a - b),
                `partition ${p} after a restart from ${JSON.stringify(c)}`,
              ).toEqual(expected);
            }
          }

          // Every outcome (success, retried then dead-lettered, poison) kept per-key order.
          if (ordering !== 'none') for (const r of runs) expect(orderViolations(r.timelines)).toEqual([]);
          // Nothing lost: each message has the outcome its plan calls for, and within one app at most once.
          const dlq = base.published
            .filter((r) => r.topic === 't.dlq')
            .map((r) => (JSON.parse(Buffer.from(r.value ?? new Uint8Array()).toString()) as { id: number }).id);
          for (const [id, p] of plans.entries()) {
            const expectOk = !p.poison && p.failures < maxAttempts;
            expect(
              runs.some((r) => r.succeeded.includes(id)),
              `message ${id} succeeded`,
            ).toBe(expectOk);
            expect(dlq.includes(id), `message ${id} dead-lettered`).toBe(!expectOk);
          }
          for (const r of runs) {
            expect(new Set(r.succeeded).size).toBe(r.succeeded.length);
            expect(new Set(r.deadLettered).size).toBe(r.deadLettered.length);
          }
          // No commit passed an unsettled message or listed one as settled; the end is committed, nothing above it.
          expect(violations).toEqual([]);
          for (let p = 0; p < partitions; p++) {
            expect(committed.get(p) ?? { offset: 0, metadata: undefined }).toEqual({
              offset: base.log('t', p).length,
              metadata: undefined,
            });
          }
        },
      ),
      { numRuns: 60 },
    );
  }, 240_000);
});
