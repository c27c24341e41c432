/**
 * `npm run bench -- rebalance [memory kafka nats] [--rate 600] [--settle-ms 4000]`: how long a
 * group takes to move partitions when a member goes.
 *
 * A group of 3 members on a 12-partition topic (NATS: one stream, one
 * durable the members share; JetStream has no partitions), key-ordered
 * handler of 2 ms per record, while the runner publishes `--rate` records per
 * second spread over the partitions, each stamped with the wall clock. Once
 * steady (and `--settle-ms` more): one member stops gracefully (`app.stop()`, a child process gets
 * SIGTERM); a fourth joins (back to 3; the join is measured too); once steady
 * again one is killed (`kill -9` of its child process; on the embedded broker,
 * whose members share this process, the soak's in-process kill: nothing of
 * it reaches the broker any more and its lanes are revoked without a drain).
 * Per event: `resumeMs`, the time from the event until every partition the
 * member owned delivered to another member, and `maxDelayMs`, the worst
 * publish→handler-start delay of the records published from 1 s before to 1 s
 * after the event (records stranded with the member count here). Goal:
 * memory graceful < 1 s. Kafka and NATS are reported against their timeouts
 * (ratios `<broker>-<event>/<timeout>`): Kafka's session timeout (the
 * connector's default 30 s), NATS's `ack_wait` (37.5 s for the default 30 s
 * handler timeout).
 */
import { randomBytes } from 'node:crypto';
import type { OutboundRecord } from '@partita/core';
import { writeReport, rssMb, type BenchRow } from '../report.js';
import { wallNow, type Member } from '../rebalance/member-report.js';
import { memoryRig } from '../rebalance/memory-rig.js';
import { kafkaRig, natsRig } from '../rebalance/process-rig.js';
import { RebalanceObserver, type EventFigures } from '../rebalance/rebalance-observer.js';
import type { RebalanceRig } from '../rebalance/rebalance-rig.js';

const say = (m: string): void => console.error(`[bench rebalance] ${m}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const rigs: Record<string, (topic: string, group: string) => RebalanceRig | Promise<RebalanceRig>> = {
  memory: memoryRig,
  kafka: kafkaRig,
  nats: natsRig,
};

/** Publish `rate` records a second (what is due every 10 ms), record `seq` on partition `seq mod partitions`. */
function publisher(rig: RebalanceRig, obs: RebalanceObserver, rate: number): { stop(): Promise<void> } {
  let seq = 0;
  let running = true;
  const t0 = performance.now();
  const pending = new Set<Promise<void>>();
  const loop = (async () => {
    while (running) {
      const due = Math.floor(((performance.now() - t0) * rate) / 1000) - seq;
      const records: OutboundRecord[] = [];
      const at = wallNow();
      for (let i = 0; i < due; i++, seq++) {
        obs.published(seq, at);
        records.push({
          topic: rig.topic,
          key: `k${seq % 120}`,
          value: new TextEncoder().encode(JSON.stringify({ seq })),
          headers: {},
          ...(rig.partitions > 1 ? { partition: seq % rig.partitions } : {}),
        });
      }
      if (records.length > 0) {
        const p = rig.publish(records).catch((err: unknown) => say(`publish failed: ${String(err)}`));
        pending.add(p);
        void p.finally(() => pending.delete(p));
      }
      await sleep(10);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await Promise.all(pending);
    },
  };
}

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) {
      say(`gave up waiting for ${what} after ${timeoutMs} ms`);
      return false;
    }
    await sleep(50);
  }
  return true;
}

interface Measured {
  readonly event: 'graceful' | 'kill' | 'join';
  readonly member: string;
  readonly figures: EventFigures;
  readonly recovered: boolean;
}

async function scenario(rig: RebalanceRig, rate: number, settleMs: number): Promise<Measured[]> {
  const obs = new RebalanceObserver();
  const members = new Map<string, Member>();
  let next = 1;
  const spawn = async (): Promise<string> => {
    const id = `m${next++}`;
    members.set(id, await rig.spawn(id, (r) => obs.report(id, r)));
    return id;
  };
  const pub = publisher(rig, obs, rate);
  const out: Measured[] = [];
  const steady = (label: string) =>
    until(`a steady group (${label})`, () => obs.steady(rig.partitions, wallNow()), 120_000);
  try {
    for (let i = 0; i < 3; i++) await spawn();
    await steady('3 members');
    await sleep(settleMs);
    // The departures: the member owning the most lanes goes.
    const busiest = (): string => [...members.keys()].sort((a, b) => obs.lanesOf(b).length - obs.lanesOf(a).length)[0]!;
    const depart = async (event: 'graceful' | 'kill', deadlineMs: number): Promise<void> => {
      const id = busiest();
      const moved = obs.lanesOf(id);
      const at = wallNow();
      say(`${rig.name}: ${event} ${id} (lanes ${moved.join(',')})`);
      const gone = event === 'graceful' ? members.get(id)!.stop() : members.get(id)!.kill();
      members.delete(id);
      obs.gone(id);
      const recovered = await until(`recovery from the ${event}`, () => obs.recovered(at, moved, id), deadlineMs);
      await gone;
      const figures = obs.figures(at, moved, id);
      say(`${rig.name} ${event}: resume ${figures.resumeMs} ms, max delay ${figures.maxDelayMs} ms`);
      out.push({ event, member: id, figures, recovered });
    };
    await depart('graceful', 120_000);
    const at = wallNow();
    const joined = await spawn();
    await steady('after the join');
    await until('the records around the join', () => obs.recovered(at, obs.lanesOf(joined), undefined, joined), 60_000);
    const joinFigures = obs.figures(at, obs.lanesOf(joined), undefined, joined);
    say(`${rig.name} join: first delivery after ${joinFigures.resumeMs} ms`);
    out.push({ event: 'join', member: joined, figures: joinFigures, recovered: true });
    await sleep(settleMs);
    await depart('kill', 180_000);
  } finally {
    await pub.stop();
    await Promise.allSettled([...members.values()].map((m) => m.stop()));
    await rig.close();
  }
  return out;
}

export async function run(args: string[]): Promise<void> {
  const i = args.indexOf('--rate');
  const rate = i >= 0 ? Number(args[i + 1]) : 600;
  if (!(rate > 0)) throw new Error(`--rate must be a positive number of records per second, got ${args[i + 1]}`);
  const s = args.indexOf('--settle-ms');
  const settleMs = s >= 0 ? Number(args[s + 1]) : 4_000;
  if (!(settleMs >= 0)) throw new Error(`--settle-ms must be a number of ms ≥ 0, got ${args[s + 1]}`);
  const named = args.filter((a, j) => !a.startsWith('--') && args[j - 1] !== '--rate' && args[j - 1] !== '--settle-ms');
  const unknown = named.filter((a) => !(a in rigs));
  if (unknown.length > 0)
    throw new Error(`unknown broker(s) ${unknown.join(', ')}; known: ${Object.keys(rigs).join(', ')}`);
  const results: BenchRow[] = [];
  const ratios: Record<string, number> = {};
  const skipped: Record<string, string> = {};
  for (const name of named.length > 0 ? named : Object.keys(rigs)) {
    const id = randomBytes(3).toString('hex');
    let rig: RebalanceRig;
    try {
      rig = await rigs[name]!(`bench-rebalance-${id}`, `rebalance-${id}`);
    } catch (err) {
      skipped[name] = err instanceof Error ? err.message : String(err);
      say(`${name}: skipped (${skipped[name]})`);
      continue;
    }
    for (const m of await scenario(rig, rate, settleMs)) {
      const f = m.figures;
      results.push({
        name: `${name}-${m.event}`,
        msgsPerSec: rate,
        p50Ms: f.steadyP50Ms,
        p99Ms: f.steadyP99Ms,
        rssMb: rssMb(),
        resumeMs: f.resumeMs,
        maxDelayMs: f.maxDelayMs,
        movedLanes: f.movedLanes,
        recovered: m.recovered,
        ...rig.timeouts,
      });
      const timeout = rig.timeouts.sessionTimeoutMs ?? rig.timeouts.ackWaitMs;
      const worst = Math.max(f.resumeMs ?? Infinity, f.maxDelayMs ?? Infinity);
      if (timeout !== undefined && m.event !== 'join')
        ratios[`${name}-${m.event}/${rig.timeouts.sessionTimeoutMs ? 'session-timeout' : 'ack-wait'}`] =
          worst / timeout;
      if (name === 'memory' && m.event === 'graceful') ratios['memory-graceful-ms'] = worst;
    }
  }
  writeReport({
    scenario: 'rebalance',
    results,
    ratios,
    targets: { 'memory-graceful-ms': '< 1000 (resumeMs and maxDelayMs)' },
    skipped,
  });
}
