import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One measured row of a scenario (docs/design.md §12). */
export interface BenchRow {
  readonly name: string;
  readonly msgsPerSec: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly rssMb: number;
  readonly [extra: string]: unknown;
}

export interface BenchReport {
  readonly scenario: string;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly memGb: number; readonly node: string };
  readonly results: readonly BenchRow[];
  readonly ratios: Readonly<Record<string, number>>;
  readonly targets?: Readonly<Record<string, string>>;
  /** Parts of the scenario that did not run, with the reason (e.g. a broker not reachable). */
  readonly skipped?: Readonly<Record<string, string>>;
}

/** `BENCH_RESULTS_DIR` redirects the JSON (the smoke tests write to a temporary directory). */
export const resultsDir = (): string =>
  process.env.BENCH_RESULTS_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

export function machine(): BenchReport['machine'] {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}

/** Resident set size now, in MiB (rounded to 0.1). */
export function rssMb(): number {
  return Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10;
}

/** Percentile (0..100) of an unsorted array of numbers; null when empty. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[idx]! * 1000) / 1000;
}

/** Print a table and write `tools/bench/results/<scenario>.json`. */
export function writeReport(report: Omit<BenchReport, 'machine'>): BenchReport {
  const full: BenchReport = {
    scenario: report.scenario,
    machine: machine(),
    results: report.results,
    ratios: report.ratios,
    ...(report.targets ? { targets: report.targets } : {}),
    ...(report.skipped && Object.keys(report.skipped).length > 0 ? { skipped: report.skipped } : {}),
  };
  mkdirSync(resultsDir(), { recursive: true });
  writeFileSync(join(resultsDir(), `${report.scenario}.json`), JSON.stringify(full, null, 2) + '\n');
  console.log(
    `\nscenario ${report.scenario} on ${full.machine.cpus} × ${full.machine.cpuModel}, node ${full.machine.node}`,
  );
  console.table(report.results.map((r) => ({ ...r, msgsPerSec: Math.round(r.msgsPerSec) })));
  for (const [k, v] of Object.entries(report.ratios))
    console.log(`ratio ${k} = ${v.toFixed(3)}${report.targets?.[k] ? `  (target ${report.targets[k]})` : ''}`);
  for (const [k, v] of Object.entries(full.skipped ?? {})) console.log(`skipped ${k}: ${v}`);
  return full;
}
