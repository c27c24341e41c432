import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SegmentTrace } from './segment-trace.js';

describe('SegmentTrace', () => {
  const saved = process.env.BENCH_LATENCY_TRACE;
  afterEach(() => {
    if (saved === undefined) delete process.env.BENCH_LATENCY_TRACE;
    else process.env.BENCH_LATENCY_TRACE = saved;
  });

  it('is off unless BENCH_LATENCY_TRACE names a directory', () => {
    delete process.env.BENCH_LATENCY_TRACE;
    expect(SegmentTrace.fromEnv('redis', 'raw')).toBeUndefined();
  });

  it("writes each message's publish time and latency, and the CPU lines, relative to the warm-up's end", () => {
    const dir = mkdtempSync(join(tmpdir(), 'partita-trace-'));
    try {
      process.env.BENCH_LATENCY_TRACE = dir;
      const trace = SegmentTrace.fromEnv('redis', 'partita')!;
      const from = performance.now();
      trace.handled(from - 100, 2.5); // a warm-up message: kept in the file, before 0
      trace.handled(from + 10, 1.25);
      // A turn 300 ms after the last: an event-loop stall, and at least one CPU bin.
      trace.turn(performance.now() + 300);
      trace.write(from, 2);
      const files = readdirSync(dir).sort();
      expect(files).toHaveLength(2);
      expect(files[0]).toMatch(/^\d{2}-redis-partita\.cpu$/);
      expect(files[1]).toMatch(/^\d{2}-redis-partita\.csv$/);
      const csv = readFileSync(join(dir, files[1]!), 'utf8').trim().split('\n');
      expect(csv).toEqual(['-100.000,2.500', '10.000,1.250']);
      const cpu = readFileSync(join(dir, files[0]!), 'utf8');
      expect(cpu).toMatch(/^stall -?[\d.]+ [\d.]+ cpu [\d.]+$/m);
      expect(cpu).toMatch(/^bin -?[\d.]+ proc [\d.]+ machine-busy (?:[\d.]+|NaN)$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
