/**
 * `npm run bench -- latency [embedded kafka nats redis rabbitmq sqs] [--seconds 20] [--rounds 4] [--warmup 1] [--max-seconds 5]`
 * (or `BENCH_LATENCY_SECONDS`): end-to-end latency under a fixed load.
 *
 * Per transport (every one named, default all; an unreachable broker is
 * skipped with its reason): first the maximum, publisher and consumer in this
 * process, the publisher keeping a window of messages ahead of the handler,
 * for the raw client loop and for partita (row field `maxMsgsPerSec`, ratio
 * `<transport>-max partita/raw`). Then a producer publishes at half of the
 * lower of the two maxima (a rate both sides sustain) for `--seconds` in all,
 * in `--rounds` interleaved rounds (raw then partita, then partita then raw, …;
 * each segment on a fresh topic after `--warmup`, not recorded; each side's
 * samples pooled), and the handler records publish→handler-start from the timestamp in each
 * message (`performance.now()` at publish; same process). Rows
 * `<transport>-raw` and `<transport>-partita` with p50/p99/p999 (and each
 * round's p99, `roundP99Ms`); ratio `<transport>-p99/raw-p99` = partita's
 * p99 over the raw loop's, and `<transport>-p99/raw-p99 median of rounds`,
 * the median of the rounds' ratios (one stall in one segment moves one of
 * them, where it moves the pooled p99).
 * Both sides publish with the same producer (partita's transport for that
 * broker), so only the consuming side differs. Goals: embedded partita p50
 * ≤ 1 ms and p99 ≤ 5 ms; every connector's p99 ≤ 1.2 × its raw loop's.
 */
import { writeBarChart } from '../charts/bar-chart.js';
import { rssMb, writeReport, type BenchRow } from '../report.js';
import { fixedRate, measureMax, percentiles, pooled, type LatencyResult } from '../latency/load-driver.js';
import { keepPreviousRows } from '../latency/keep-previous-rows.js';
import { alternating, median } from '../paired-rounds.js';
import type { LatencyTarget } from '../latency/latency-target.js';
import { embeddedTarget } from '../latency/targets/embedded-target.js';
import { kafkaTarget } from '../latency/targets/kafka-target.js';
import { natsTarget } from '../latency/targets/nats-target.js';
import { rabbitmqTarget } from '../latency/targets/rabbitmq-target.js';
import { redisTarget } from '../latency/targets/redis-target.js';
import { sqsTarget } from '../latency/targets/sqs-target.js';

const SIDES = ['raw', 'partita'] as const;

const factories: Record<string, () => LatencyTarget> = {
  embedded: embeddedTarget,
  kafka: kafkaTarget,
  nats: natsTarget,
  redis: redisTarget,
  rabbitmq: rabbitmqTarget,
  sqs: sqsTarget,
};

function flag(args: string[], name: string, env: string | undefined, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : env !== undefined ? Number(env) : dflt;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number, got ${args[i + 1] ?? env}`);
  return v;
}

export async function run(args: string[]): Promise<void> {
  const seconds = flag(args, 'seconds', process.env.BENCH_LATENCY_SECONDS, 20);
  const warmup = flag(args, 'warmup', undefined, Math.min(1, seconds / 2));
  const maxSeconds = flag(args, 'max-seconds', undefined, Math.min(5, seconds));
  const rounds = Math.round(flag(args, 'rounds', undefined, 4));
  const valued = new Set(['--seconds', '--warmup', '--max-seconds', '--rounds']);
  const named = args.filter((a, i) => !a.startsWith('--') && !valued.has(args[i - 1] ?? ''));
  const unknown = named.filter((n) => !(n in factories));
  if (unknown.length > 0)
    throw new Error(`unknown transport(s) ${unknown.join(', ')}; known: ${Object.keys(factories).join(', ')}`);
  const say = (m: string): void => console.error(`[bench latency] ${m}`);
  const results: BenchRow[] = [];
  const ratios: Record<string, number> = {};
  const skipped: Record<string, string> = {};
  for (const name of named.length > 0 ? named : Object.keys(factories)) {
    const target = factories[name]!();
    try {
      try {
        await target.probe();
      } catch (err) {
        skipped[name] = err instanceof Error ? err.message : String(err);
        say(`${name}: skipped (${skipped[name]})`);
        continue;
      }
      await measure(target, name);
    } catch (err) {
      skipped[name] = `failed: ${err instanceof Error ? err.message : String(err)}`;
      say(`${name}: ${skipped[name]}`);
    } finally {
      await target.close().catch(() => undefined);
    }
  }
  if (named.length > 0) {
    keepPreviousRows(
      named.filter((n) => !(n in skipped)),
      results,
      ratios,
    );
    const order = Object.keys(factories);
    const rank = (name: string): number => order.findIndex((t) => name.startsWith(`${t}-`));
    results.sort((a, b) => rank(a.name) - rank(b.name));
  }
  async function measure(target: LatencyTarget, name: string): Promise<void> {
    const maxOpts = { warmupMs: Math.min(2000, maxSeconds * 500), measureMs: maxSeconds * 1000 };
    say(`${name}: maximum of the raw loop`);
    const rawMax = await measureMax(target, 'raw', maxOpts);
    say(`${name}: maximum of partita`);
    const partitaMax = await measureMax(target, 'partita', maxOpts);
    // Half of the lower maximum: a rate both sides sustain, so each side's latency is a latency, not a queue.
    const rate = Math.max(1, Math.round(Math.min(rawMax.msgsPerSec, partitaMax.msgsPerSec) / 2));
    say(
      `${name}: max raw ${Math.round(rawMax.msgsPerSec)}, partita ${Math.round(partitaMax.msgsPerSec)} msg/s; ${rate} msg/s for ${seconds} s`,
    );
    // Interleaved rounds (raw, partita, partita, raw, …), each side's samples pooled: a machine whose
    // load changes during the run (other jobs, the broker's own work) hits both sides alike.
    const segment = { warmupMs: warmup * 1000, durationMs: (seconds * 1000) / rounds };
    const { baseline, subject } = await alternating(
      rounds,
      () => fixedRate(target, 'raw', rate, segment),
      () => fixedRate(target, 'partita', rate, segment),
    );
    const runs: Record<(typeof SIDES)[number], readonly LatencyResult[]> = { raw: baseline, partita: subject };
    const rows: Record<'raw' | 'partita', BenchRow> = {} as Record<'raw' | 'partita', BenchRow>;
    const roundP99: Record<'raw' | 'partita', (number | null)[]> = { raw: [], partita: [] };
    for (const side of SIDES) {
      const r = runs[side];
      const samples = pooled(r.map((x) => x.samples));
      const [p50, p99, p999, max] = percentiles(samples, [50, 99, 99.9, 100]);
      const unhandled = r.reduce((n, x) => n + x.unhandled, 0);
      const roundP99Ms = r.map((x) => percentiles(x.samples, [99])[0] ?? null);
      roundP99[side] = roundP99Ms;
      rows[side] = {
        name: `${name}-${side}`,
        msgsPerSec: Math.round(r.reduce((n, x) => n + x.achievedRate, 0) / r.length),
        p50Ms: p50!,
        p99Ms: p99!,
        p999Ms: p999,
        maxMs: max,
        rssMb: rssMb(),
        targetRate: rate,
        maxMsgsPerSec: Math.round((side === 'raw' ? rawMax : partitaMax).msgsPerSec),
        samples: samples.length,
        seconds,
        rounds,
        roundP99Ms,
        ...(unhandled > 0 ? { unhandled } : {}),
      };
      say(`${name}-${side}: p50 ${p50} ms, p99 ${p99} ms, p999 ${p999} ms (${samples.length} samples)`);
    }
    results.push(rows.raw, rows.partita);
    if (rows.raw.p99Ms && rows.partita.p99Ms) ratios[`${name}-p99/raw-p99`] = rows.partita.p99Ms / rows.raw.p99Ms;
    // Each round's partita p99 over the raw loop's in the same round (segments run back to back): one stall
    // inside one segment moves the pooled p99 of the whole run, but only one of these.
    const perRound = roundP99.partita.flatMap((a, i) => {
      const b = roundP99.raw[i];
      return a != null && b ? [a / b] : [];
    });
    if (perRound.length > 0) ratios[`${name}-p99/raw-p99 median of rounds`] = median(perRound);
    ratios[`${name}-max partita/raw`] = partitaMax.msgsPerSec / rawMax.msgsPerSec;
  }
  const targets: Record<string, string> = { 'embedded-partita': 'p50 ≤ 1 ms, p99 ≤ 5 ms' };
  for (const name of Object.keys(factories)) if (name !== 'embedded') targets[`${name}-p99/raw-p99`] = '≤ 1.2';
  const groups = Object.keys(factories).flatMap((name) =>
    (['p50Ms', 'p99Ms'] as const).map((p) => ({
      label: `${name} ${p.slice(0, 3)}`,
      values: ['raw', 'partita'].map(
        (side) => (results.find((r) => r.name === `${name}-${side}`)?.[p] as number) ?? null,
      ),
    })),
  );
  writeBarChart('latency.svg', 'publish → handler-start', 'ms', ['raw client loop', 'partita'], groups, true);
  writeReport({
    scenario: 'latency',
    results,
    ratios,
    targets,
    skipped,
  });
}
