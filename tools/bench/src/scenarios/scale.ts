/**
 * `npm run bench -- scale [lanes|keys|payload|workers ...] [--scale F] [--interleaved]`:
 * how the cost grows with the work, on the embedded broker. `--scale`
 * multiplies every message count (e.g. 0.01 for a quick run).
 *
 * lanes: 500,000 small records (100,000 keys) on 4, 64 and 1,024 partitions,
 *   partita with the handler's defaults, from `app.start()` to the last record
 *   handled (lanes are created inside the timed part; `startMs` and `stopMs`
 *   say what start and stop took), and the `embedded` raw loop over the same
 *   records (`lanes-<n>-raw`). A fresh broker per row and round, each
 *   partition's records together in memory (`--interleaved`: in publish
 *   order, spread over the fill; see `fill`), full GCs before the timed part.
 *   Three interleaved rounds, the best reported (every round in `rounds`).
 *   Ratio `lanes-1024/lanes-4`, goal ≥ 0.8; `raw lanes-1024/lanes-4` for the broker's own share.
 * keys: 1,000,000 records on 4 partitions with 1,000, 10,000, 100,000 and
 *   1,000,000 distinct keys, key ordering. Ratio `keys-1m/keys-1k` (msg/s) ≥
 *   0.8, and the RSS after the run (app still running, every record committed,
 *   after full GCs) within 10 % of the 1,000-key row's (two rounds over the
 *   key counts, best rate; memory of the last round): ratio
 *   `rss keys-1m/keys-1k` ≤ 1.1 (no per-key state left behind).
 * payload: 100 B × 500,000, 1 KiB × 200,000, 64 KiB × 5,000: partita against
 *   the `embedded` scenario's raw loop (both decode the JSON), MiB/s, five
 *   rounds each of raw and partita back to back (median rate per side);
 *   ratio `payload-<size> partita/raw` (median of the rounds' ratios) ≥ 0.8,
 *   and `cpu payload-<size> partita/raw` (least CPU per message of raw over
 *   partita's).
 * workers: the `workers` scenario's ~1 ms CPU-bound handler (2,000 messages a
 *   round, three interleaved rounds, best) inline on the main thread and on
 *   workerPool({ threads: 1 | 2 }): the curve (2 cores here).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryBroker, memoryTransport } from '@partita/memory';
import { writeBarChart } from '../charts/bar-chart.js';
import { median, pairedRounds, roundsForRow, startMeasure } from '../paired-rounds.js';
import { rssMb, writeReport, type BenchRow } from '../report.js';
import { fill, register, runPartita, runRaw } from '../scale/embedded-rig.js';
import { settledMemory } from '../scale/memory-probe.js';
import { calibrate, createRig, work, writeWorkerModules, type RunResult } from './workers.js';

const say = (m: string): void => console.error(`[bench scale] ${m}`);
const row = (name: string, msgsPerSec: number, extra: Record<string, unknown> = {}): BenchRow => ({
  name,
  msgsPerSec: Math.round(msgsPerSec),
  p50Ms: null,
  p99Ms: null,
  rssMb: rssMb(),
  ...extra,
});

/**
 * Each round builds, for each partition count in turn, a broker holding only
 * that row's records (`fill` grouped by partition, see there; `--interleaved`
 * keeps the publish order instead), registers the two groups that read it,
 * and collects the fill's garbage (full GCs) before anything is timed: no
 * row pays for another row's retained records, nor for a major GC the fill
 * owed. Then partita (timed from `app.start()`, lanes created inside) and the
 * raw loop over the same records.
 */
async function lanes(
  n: (x: number) => number,
  rows: BenchRow[],
  ratios: Record<string, number>,
  args: readonly string[],
): Promise<void> {
  const count = n(500_000);
  const interleaved = args.includes('--interleaved');
  const counts = [4, 64, 1024] as const;
  const rounds = new Map<number, { partita: number; raw: number; startMs: number; stopMs: number }[]>();
  for (let round = 0; round < 3; round++)
    for (const partitions of counts) {
      const broker = createMemoryBroker({ defaultPartitions: partitions, maxBytes: 2 ** 31 });
      await fill(broker, 'lanes', count, { keys: 100_000, size: 64, ...(interleaved ? {} : { partitions }) });
      register(broker, 'lanes', partitions, ['partita', 'raw']);
      await settledMemory();
      const run = await runPartita(broker, memoryTransport(broker), 'lanes', count, 'partita');
      const stopAt = performance.now();
      await run.stop();
      const stopMs = performance.now() - stopAt;
      const raw = await runRaw(broker, 'lanes', partitions, count, 'raw');
      await broker.close();
      const r = { partita: run.msgsPerSec, raw, startMs: run.startMs, stopMs };
      rounds.set(partitions, [...(rounds.get(partitions) ?? []), r]);
      say(
        `lanes ${partitions}, round ${round + 1}: ${Math.round(r.partita)} msg/s (start ${r.startMs.toFixed(0)} ms, ` +
          `stop ${r.stopMs.toFixed(0)} ms), raw ${Math.round(raw)} msg/s`,
      );
    }
  const best = new Map<number, { partita: number; raw: number }>();
  for (const [partitions, rs] of rounds) {
    const top = rs.reduce((a, b) => (b.partita > a.partita ? b : a));
    const raw = Math.max(...rs.map((r) => r.raw));
    best.set(partitions, { partita: top.partita, raw });
    const extra = { partitions, messages: count, fill: interleaved ? 'interleaved' : 'by partition' };
    rows.push(
      row(`lanes-${partitions}`, top.partita, {
        ...extra,
        startMs: Math.round(top.startMs),
        stopMs: Math.round(top.stopMs),
        rounds: rs.map((r) => Math.round(r.partita)),
      }),
      row(`lanes-${partitions}-raw`, raw, { ...extra, rounds: rs.map((r) => Math.round(r.raw)) }),
    );
  }
  const rate = (p: number, side: 'partita' | 'raw') => best.get(p)![side];
  ratios['lanes-1024/lanes-4'] = rate(1024, 'partita') / rate(4, 'partita');
  ratios['lanes-64/lanes-4'] = rate(64, 'partita') / rate(4, 'partita');
  ratios['raw lanes-1024/lanes-4'] = rate(1024, 'raw') / rate(4, 'raw');
}

async function keys(n: (x: number) => number, rows: BenchRow[], ratios: Record<string, number>): Promise<void> {
  const count = n(1_000_000);
  const nominals = [1_000, 10_000, 100_000, 1_000_000];
  const rates = new Map<number, number[]>();
  const memory = new Map<number, { rssMb: number; heapUsedMb: number }>();
  // Two rounds over the key counts (the machine is shared): the best rate; the memory of the last round.
  for (let round = 0; round < 2; round++)
    for (const nominal of nominals) {
      const distinct = Math.min(nominal, count);
      const broker = createMemoryBroker({ defaultPartitions: 4, maxBytes: 2 ** 31 });
      await fill(broker, 'keys', count, { keys: distinct, size: 64 });
      const run = await runPartita(broker, memoryTransport(broker), 'keys', count, 'keys');
      // Every record handled and committed, the app still running: what is left is what it keeps.
      await new Promise((r) => setTimeout(r, 50));
      const mem = await settledMemory();
      await run.stop();
      await broker.close();
      say(`keys ${distinct}: ${Math.round(run.msgsPerSec)} msg/s, RSS ${mem.rssMb} MiB, heap ${mem.heapUsedMb} MiB`);
      rates.set(nominal, [...(rates.get(nominal) ?? []), run.msgsPerSec]);
      memory.set(nominal, mem);
    }
  const best = (k: number) => Math.max(...rates.get(k)!);
  for (const nominal of nominals)
    rows.push({
      ...row(`keys-${nominal >= 1e6 ? `${nominal / 1e6}m` : `${nominal / 1e3}k`}`, best(nominal)),
      ...memory.get(nominal)!,
      keys: Math.min(nominal, count),
      messages: count,
      rounds: rates.get(nominal)!.map(Math.round),
    });
  const first = memory.get(nominals[0]!)!;
  const last = memory.get(nominals.at(-1)!)!;
  ratios['keys-1m/keys-1k'] = best(nominals.at(-1)!) / best(nominals[0]!);
  ratios['rss keys-1m/keys-1k'] = last.rssMb / first.rssMb;
  ratios['heap keys-1m/keys-1k'] = last.heapUsedMb / first.heapUsedMb;
}

async function payload(n: (x: number) => number, rows: BenchRow[], ratios: Record<string, number>): Promise<void> {
  const label = (size: number) => (size >= 1024 ? `${size / 1024}k` : `${size}`);
  for (const [size, base] of [
    [100, 500_000],
    [1024, 200_000],
    [65_536, 5_000],
  ] as const) {
    const count = n(base);
    const rounds = 5;
    const broker = createMemoryBroker({ defaultPartitions: 4, maxBytes: 2 ** 31, maxMessageBytes: 2 ** 20 });
    await fill(broker, 'payload', count, { keys: 1000, size });
    const groups = Array.from({ length: rounds }, (_, r) => [`raw-${r}`, `partita-${r}`]).flat();
    register(broker, 'payload', 4, groups);
    const paired = await pairedRounds(
      rounds,
      async (r) => {
        const stop = startMeasure();
        await runRaw(broker, 'payload', 4, count, `raw-${r}`);
        return stop(count);
      },
      async (r) => {
        const stop = startMeasure();
        const run = await runPartita(broker, memoryTransport(broker), 'payload', count, `partita-${r}`);
        // CPU from createApp to the last record handled; the rate is the run's own (from app.start()).
        const measure = { ...stop(count), msgsPerSec: run.msgsPerSec };
        await run.stop();
        return measure;
      },
    );
    await broker.close();
    const mibps = (rate: number) => Math.round(((rate * size) / 2 ** 20) * 10) / 10;
    const sides = { partita: paired.subject, raw: paired.baseline };
    const rate = (side: keyof typeof sides) => median(sides[side].map((m) => m.msgsPerSec));
    say(
      `payload ${size} B: partita ${mibps(rate('partita'))} MiB/s, raw ${mibps(rate('raw'))} MiB/s (medians); ` +
        `partita/raw per round ${paired.ratios.map((x) => x.toFixed(3)).join(', ')}`,
    );
    for (const side of ['partita', 'raw'] as const)
      rows.push(
        row(`payload-${label(size)}-${side}`, rate(side), {
          bytes: size,
          mibPerSec: mibps(rate(side)),
          messages: count,
          rounds: roundsForRow(sides[side]),
        }),
      );
    ratios[`payload-${label(size)} partita/raw`] = paired.ratio;
    ratios[`cpu payload-${label(size)} partita/raw`] = paired.cpuRatio;
  }
}

async function workers(n: (x: number) => number, rows: BenchRow[], ratios: Record<string, number>): Promise<void> {
  const count = n(2_000);
  const rounds = calibrate(1);
  const dir = mkdtempSync(join(tmpdir(), 'partita-bench-scale-'));
  try {
    const modules = writeWorkerModules(dir, rounds);
    const opts = { maxInFlight: 256, timeoutMs: 60_000 };
    const rigs = [
      [
        'workers-main',
        await createRig(
          'workers-main',
          { ...opts, handle: (m: { value: unknown }) => work((m.value as { n: number }).n, rounds) },
          null,
          true,
        ),
      ],
      ['workers-1', await createRig('workers-1', { ...opts, worker: modules.cpu }, 1, true)],
      ['workers-2', await createRig('workers-2', { ...opts, worker: modules.cpu }, 2, true)],
    ] as const;
    for (const [, rig] of rigs) await rig.round(Math.ceil(count / 4)); // warm-up, not reported
    const results = new Map<string, RunResult[]>();
    for (let r = 0; r < 3; r++)
      for (const [name, rig] of rigs) results.set(name, [...(results.get(name) ?? []), await rig.round(count)]);
    for (const [, rig] of rigs) await rig.close();
    const best = new Map<string, number>();
    for (const [name, rs] of results) {
      const top = rs.reduce((a, b) => (b.row.msgsPerSec > a.row.msgsPerSec ? b : a));
      best.set(name, top.row.msgsPerSec);
      say(`${name}: ${Math.round(top.row.msgsPerSec)} msg/s`);
      rows.push({
        ...top.row,
        name,
        msgsPerSec: Math.round(top.row.msgsPerSec),
        threads: name === 'workers-main' ? 0 : Number(name.slice(-1)),
        rounds: rs.map((x) => Math.round(x.row.msgsPerSec)),
      });
    }
    ratios['workers-1/main'] = best.get('workers-1')! / best.get('workers-main')!;
    ratios['workers-2/workers-1'] = best.get('workers-2')! / best.get('workers-1')!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `scale.svg` (msg/s of the lanes and keys rows), `scale-workers.svg` and `scale-payload.svg` (MiB/s per payload size). */
export function writeScaleCharts(rows: readonly BenchRow[]): void {
  const msgs = (name: string) => rows.find((r) => r.name === name)?.msgsPerSec ?? null;
  const curve = (names: string[]) =>
    names.filter((n) => msgs(n) !== null).map((n) => ({ label: n, values: [msgs(n)] }));
  const payloadGroups = ['100', '1k', '64k']
    .map((size) => ({
      label: `payload ${size}`,
      values: ['raw', 'partita'].map(
        (side) => (rows.find((r) => r.name === `payload-${size}-${side}`)?.mibPerSec as number) ?? null,
      ),
    }))
    .filter((g) => g.values.some((v) => v !== null));
  writeBarChart(
    'scale.svg',
    'partita on the embedded broker as the work grows',
    'msg/s',
    ['partita'],
    [...curve(['lanes-4', 'lanes-64', 'lanes-1024', 'keys-1k', 'keys-10k', 'keys-100k', 'keys-1m'])],
  );
  writeBarChart(
    'scale-workers.svg',
    'CPU-bound handler (~1 ms): main thread, 1 and 2 worker threads',
    'msg/s',
    ['partita'],
    curve(['workers-main', 'workers-1', 'workers-2']),
  );
  writeBarChart('scale-payload.svg', 'payload size', 'MiB/s', ['raw loop', 'partita'], payloadGroups);
}

type Part = (
  n: (x: number) => number,
  rows: BenchRow[],
  ratios: Record<string, number>,
  args: readonly string[],
) => Promise<void>;
const parts: Record<'lanes' | 'keys' | 'payload' | 'workers', Part> = { lanes, keys, payload, workers };

export async function run(args: string[]): Promise<void> {
  const i = args.indexOf('--scale');
  const scale = i >= 0 ? Number(args[i + 1]) : 1;
  if (!(scale > 0)) throw new Error(`--scale must be a positive number, got ${args[i + 1]}`);
  const n = (x: number) => Math.max(10, Math.round(x * scale));
  const named = args.filter((a, j) => !a.startsWith('--') && args[j - 1] !== '--scale');
  const unknown = named.filter((a) => !(a in parts));
  if (unknown.length > 0)
    throw new Error(`unknown part(s) ${unknown.join(', ')}; known: ${Object.keys(parts).join(', ')}`);
  const rows: BenchRow[] = [];
  const ratios: Record<string, number> = {};
  for (const name of (named.length > 0 ? named : Object.keys(parts)) as (keyof typeof parts)[]) {
    say(name);
    await parts[name](n, rows, ratios, args);
  }
  writeScaleCharts(rows);
  writeReport({
    scenario: 'scale',
    results: rows,
    ratios,
    targets: {
      'lanes-1024/lanes-4': '≥ 0.8',
      'keys-1m/keys-1k': '≥ 0.8',
      'rss keys-1m/keys-1k': '≤ 1.1',
      'payload-100 partita/raw': '≥ 0.8',
      'payload-1k partita/raw': '≥ 0.8',
      'payload-64k partita/raw': '≥ 0.8',
      'cpu payload-100 partita/raw': 'reported',
      'cpu payload-1k partita/raw': 'reported',
      'cpu payload-64k partita/raw': 'reported',
    },
  });
}
