import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../report.js';

// Smoke runs of the issue-19 scenarios at a tiny size: they run end to end and
// write the rows and ratios the README reads. No timing is asserted.
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'partita-bench-smoke-'));
  process.env.BENCH_RESULTS_DIR = dir;
});
afterAll(() => {
  delete process.env.BENCH_RESULTS_DIR;
  rmSync(dir, { recursive: true, force: true });
});
const report = (scenario: string): BenchReport =>
  JSON.parse(readFileSync(join(dir, `${scenario}.json`), 'utf8')) as BenchReport;
const row = (r: BenchReport, name: string) => r.results.find((x) => x.name === name);

describe('bench scenarios (smoke)', () => {
  it('latency measures both sides of the embedded broker with percentiles', async () => {
    const { run } = await import('./latency.js');
    await run(['embedded', '--seconds', '0.6', '--warmup', '0.2', '--max-seconds', '0.4']);
    const r = report('latency');
    for (const side of ['embedded-raw', 'embedded-partita']) {
      const x = row(r, side);
      expect(x, side).toBeDefined();
      expect(x!.samples as number).toBeGreaterThan(0);
      expect(x!.p50Ms).toBeGreaterThanOrEqual(0);
      expect(x!.p99Ms!).toBeGreaterThanOrEqual(x!.p50Ms!);
      expect(x!.p999Ms as number).toBeGreaterThanOrEqual(x!.p99Ms!);
      expect(x!.unhandled).toBeUndefined();
    }
    expect(r.ratios['embedded-p99/raw-p99']).toBeGreaterThan(0);
    expect(r.ratios['embedded-max partita/raw']).toBeGreaterThan(0);
  });

  it('scale reports lanes, keys (with memory after GC), payload and workers', async () => {
    const { run } = await import('./scale.js');
    await run(['lanes', 'keys', 'payload', 'workers', '--scale', '0.0005']);
    const r = report('scale');
    for (const name of [
      'lanes-4',
      'lanes-64',
      'lanes-1024',
      'keys-1k',
      'keys-1m',
      'payload-64k-partita',
      'payload-64k-raw',
    ])
      expect(row(r, name)?.msgsPerSec, name).toBeGreaterThan(0);
    expect(row(r, 'keys-1m')!.heapUsedMb).toBeGreaterThan(0);
    for (const name of ['workers-main', 'workers-1', 'workers-2'])
      expect(row(r, name)?.msgsPerSec, name).toBeGreaterThan(0);
    for (const ratio of [
      'lanes-1024/lanes-4',
      'keys-1m/keys-1k',
      'rss keys-1m/keys-1k',
      'payload-100 partita/raw',
      'workers-2/workers-1',
    ])
      expect(r.ratios[ratio], ratio).toBeGreaterThan(0);
  });

  it('rebalance moves the partitions of a member that stops, joins and is killed on the embedded broker', async () => {
    const { run } = await import('./rebalance.js');
    await run(['memory', '--rate', '300', '--settle-ms', '300']);
    const r = report('rebalance');
    for (const event of ['graceful', 'join', 'kill']) {
      const x = row(r, `memory-${event}`);
      expect(x?.recovered, event).toBe(true);
      expect((x!.movedLanes as number[]).length, event).toBeGreaterThan(0);
      expect(x!.resumeMs as number, event).toBeGreaterThanOrEqual(0);
      // A figure, not a timing: with the publisher starved of CPU, no record may fall in the hand-over at all.
      expect(x!.maxDelayMs as number, event).toBeGreaterThanOrEqual(0);
    }
  });
});
