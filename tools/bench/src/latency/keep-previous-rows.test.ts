import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchRow } from '../report.js';
import { keepPreviousRows } from './keep-previous-rows.js';

const row = (name: string, p99Ms: number): BenchRow => ({ name, msgsPerSec: 1, p50Ms: 1, p99Ms, rssMb: 1 });

describe('keepPreviousRows', () => {
  it('keeps the transports this run did not measure, and replaces the ones it did', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bench-latency-')), 'latency.json');
    writeFileSync(
      file,
      JSON.stringify({
        scenario: 'latency',
        results: [row('embedded-raw', 1), row('embedded-partita', 2), row('nats-raw', 3), row('nats-partita', 4)],
        ratios: { 'embedded-p99/raw-p99': 2, 'nats-p99/raw-p99': 1.33 },
      }),
    );
    const results = [row('embedded-raw', 5), row('embedded-partita', 6)];
    const ratios: Record<string, number> = { 'embedded-p99/raw-p99': 1.2 };
    keepPreviousRows(['embedded'], results, ratios, file);
    expect(results.map((r) => `${r.name} ${r.p99Ms}`)).toEqual([
      'embedded-raw 5',
      'embedded-partita 6',
      'nats-raw 3',
      'nats-partita 4',
    ]);
    expect(ratios).toEqual({ 'embedded-p99/raw-p99': 1.2, 'nats-p99/raw-p99': 1.33 });
  });

  it('does nothing without a previous file', () => {
    const results = [row('embedded-raw', 5)];
    keepPreviousRows(['embedded'], results, {}, join(tmpdir(), 'no-such-dir-partita', 'latency.json'));
    expect(results).toHaveLength(1);
  });
});
