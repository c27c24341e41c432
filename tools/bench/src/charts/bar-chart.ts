import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resultsDir } from '../report.js';

/** One bar group: a label and a value per series (null: no bar). */
export interface BarGroup {
  readonly label: string;
  readonly values: readonly (number | null)[];
}

const COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756'];
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * A horizontal grouped bar chart as SVG (no dependency), log scale when
 * `log`; written to `<results>/<file>` beside the scenario's JSON.
 */
export function writeBarChart(
  file: string,
  title: string,
  unit: string,
  series: readonly string[],
  groups: readonly BarGroup[],
  log = false,
): void {
  const bar = 14;
  const gap = 10;
  const left = 190;
  const width = 520;
  const top = 40;
  const all = groups.flatMap((g) => g.values).filter((v): v is number => v !== null && v > 0);
  if (all.length === 0) return;
  const max = Math.max(...all);
  const min = log ? Math.min(...all) : 0;
  const lo = log ? Math.log10(min) - 0.2 : 0;
  const hi = log ? Math.log10(max) + 0.1 : max * 1.05;
  const x = (v: number): number => (((log ? Math.log10(v) : v) - lo) / (hi - lo)) * width;
  let y = top;
  const parts: string[] = [];
  for (const g of groups) {
    parts.push(
      `<text x="${left - 8}" y="${y + (bar * series.length) / 2 + 4}" text-anchor="end">${esc(g.label)}</text>`,
    );
    g.values.forEach((v, i) => {
      if (v !== null && v > 0) {
        const w = Math.max(1, x(v));
        parts.push(
          `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${bar - 2}" fill="${COLORS[i % COLORS.length]}"/>`,
        );
        parts.push(
          `<text x="${(left + w + 4).toFixed(1)}" y="${y + bar - 4}" font-size="10">${+v.toPrecision(3)}</text>`,
        );
      }
      y += bar;
    });
    y += gap;
  }
  const legend = series
    .map(
      (s, i) =>
        `<rect x="${left + i * 120}" y="${y + 4}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${left + i * 120 + 14}" y="${y + 13}">${esc(s)}</text>`,
    )
    .join('');
  const height = y + 30;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 80}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${left}" y="20" font-size="14" font-weight="bold">${esc(title)} (${esc(unit)}${log ? ', log scale' : ''})</text>
${parts.join('\n')}
${legend}
</svg>
`;
  mkdirSync(resultsDir(), { recursive: true });
  writeFileSync(join(resultsDir(), file), svg);
}
