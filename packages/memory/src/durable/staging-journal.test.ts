import { mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVirtualClock } from '@partita/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBroker } from '../broker/create-memory-broker.js';
import type { MemoryBroker } from '../broker/memory-broker.js';
import { dec, enc } from '../testing-support/recording-sink.test-support.js';
import { STAGED_COMPACT_BYTES } from './staging-journal.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'partita-staged-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const drain = (b: MemoryBroker, topic: string, group: string): string[] => {
  const out: string[] = [];
  for (;;) {
    const recs = b.fetch({ group, topic, partition: 0, max: 1000 });
    if (recs.length === 0) return out;
    out.push(...recs.map((r) => dec(r.value)));
  }
};

describe('durable mode: staged.log', () => {
  it('stays under its bound while delayed records come and go (compacted while running) and reopens with the records still waiting', async () => {
    const dir = tmp();
    const log = join(dir, 'staged.log');
    const clock = createVirtualClock(10_000);
    let b = createMemoryBroker({ dataDir: dir, clock, fsync: 'interval', fsyncIntervalMs: 5 });
    // waiting for the whole test: must survive every compaction
    await b.publish([
      { topic: 'd', value: enc('late-1'), delayMs: 3_600_000 },
      { topic: 'd', value: enc('late-2'), priority: 0, delayMs: 3_600_000 },
    ]);
    const pad = 'x'.repeat(1000);
    const bound = STAGED_COMPACT_BYTES + 64 * 1024;
    let written = 0;
    let delivered = 0;
    for (let round = 0; round < 60; round++) {
      await b.publish(
        Array.from({ length: 100 }, (_, i) => ({ topic: 'd', value: enc(`r${round}-${i}-${pad}`), delayMs: 1 })),
      );
      written += 100 * 1030;
      await clock.advance(1);
      delivered += drain(b, 'd', 'reader').length;
      expect(statSync(log).size).toBeLessThanOrEqual(bound);
    }
    expect(delivered).toBe(6_000);
    expect(written).toBeGreaterThan(1.2 * STAGED_COMPACT_BYTES);
    expect(b.health().status).toBe('ok');
    await b.close();
    // after a crash too
    unlinkSync(join(dir, 'clean'));
    writeFileSync(`${log}.tmp`, 'torn snapshot of an interrupted compaction');
    const warnings: string[] = [];
    b = createMemoryBroker({ dataDir: dir, clock, onWarning: (m) => warnings.push(m) });
    expect(warnings.filter((w) => /staged\.log/.test(w))).toEqual([]);
    expect(statSync(log).size).toBeLessThan(4096);
    expect(b.stats().topics[0]!.partitions[0]!.delayed).toBe(2);
    expect(drain(b, 'd', 'after')).toHaveLength(6_000);
    await clock.advance(3_600_000);
    expect(drain(b, 'd', 'after')).toEqual(['late-1', 'late-2']);
    await b.close();
  });

  it('records still waiting with non-consecutive stage ids survive repeated reopens (the journal is compacted on every open)', async () => {
    const dir = tmp();
    const clock = createVirtualClock(0);
    let b = createMemoryBroker({ dataDir: dir, clock });
    await b.publish({ topic: 'd', value: enc('a'), delayMs: 10_000 });
    await b.publish({ topic: 'd', value: enc('b'), delayMs: 10 });
    await b.publish({ topic: 'd', value: enc('c'), delayMs: 10_000 });
    await clock.advance(10);
    expect(drain(b, 'd', 'g')).toEqual(['b']);
    await b.close();
    for (let open = 0; open < 3; open++) {
      const warnings: string[] = [];
      b = createMemoryBroker({ dataDir: dir, clock, onWarning: (m) => warnings.push(m) });
      expect(warnings).toEqual([]);
      expect(b.stats().topics[0]!.partitions[0]!.delayed).toBe(2);
      await b.close();
    }
    b = createMemoryBroker({ dataDir: dir, clock });
    await clock.advance(10_000);
    expect(drain(b, 'd', 'g2')).toEqual(['b', 'a', 'c']);
    await b.close();
  });
});
