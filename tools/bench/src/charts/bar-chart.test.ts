import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeBarChart } from './bar-chart.js';

describe('writeBarChart', () => {
  const saved = process.env.BENCH_RESULTS_DIR;
  let root: string | undefined;
  afterEach(() => {
    if (saved === undefined) delete process.env.BENCH_RESULTS_DIR;
    else process.env.BENCH_RESULTS_DIR = saved;
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('creates BENCH_RESULTS_DIR when it does not exist yet, and writes an SVG with the groups', () => {
    root = mkdtempSync(join(tmpdir(), 'bar-chart-'));
    const dir = join(root, 'not', 'there');
    process.env.BENCH_RESULTS_DIR = dir;
    writeBarChart('c.svg', 'title', 'ms', ['raw', 'partita'], [{ label: 'p99 <x>', values: [1, 2] }]);
    const file = join(dir, 'c.svg');
    expect(existsSync(file)).toBe(true);
    const svg = readFileSync(file, 'utf8');
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('p99 &lt;x>');
  });
});
