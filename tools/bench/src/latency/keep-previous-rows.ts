import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resultsDir, type BenchReport, type BenchRow } from '../report.js';

/**
 * A latency run of some transports (`npm run bench -- latency nats`) keeps
 * the other transports' rows and ratios of the previous `latency.json`, so
 * the file and its chart always hold every transport measured last. A row or
 * ratio belongs to transport `t` when its name starts with `t-`.
 */
export function keepPreviousRows(
  ran: readonly string[],
  results: BenchRow[],
  ratios: Record<string, number>,
  file = join(resultsDir(), 'latency.json'),
): void {
  if (!existsSync(file)) return;
  const previous = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
  const mine = (name: string): boolean => ran.some((t) => name.startsWith(`${t}-`));
  const kept = previous.results.filter((r) => !mine(r.name));
  results.push(...kept);
  for (const [k, v] of Object.entries(previous.ratios)) if (!mine(k) && !(k in ratios)) ratios[k] = v;
}
