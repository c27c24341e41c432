import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBroker } from '../broker/create-memory-broker.js';
import { OFFSETS_COMPACT_BYTES } from './offsets-log.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'partita-offsets-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const lines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter(Boolean);

describe('durable mode: offsets.log', () => {
  it('stays under its bound through many commits (compacted while running, next to interval fsyncs) and reopens with the latest offsets', async () => {
    const dir = tmp();
    const log = join(dir, 'offsets.log');
    const groups = ['g0', 'g1', 'gröup-2'];
    let b = createMemoryBroker({ dataDir: dir, fsync: 'interval', fsyncIntervalMs: 5 });
    b.createTopic('o', { partitions: 4 });
    const latest = new Map<string, { offset: number; metadata: string | undefined }>();
    const bound = OFFSETS_COMPACT_BYTES + 200;
    let written = 0;
    let biggest = 0;
    const commits = 100_000;
    for (let i = 0; i < commits; i++) {
      const group = groups[i % 3]!;
      const partition = i % 4;
      const metadata = i % 7 === 0 ? `m${i}` : undefined;
      b.commit({ group, topic: 'o', partition, offset: i, metadata });
      latest.set(`${group}/${partition}`, { offset: i, metadata });
      written += JSON.stringify([group, 'o', partition, i, metadata ?? null]).length + 1;
      if (i % 500 === 0) {
        const size = statSync(log).size;
        biggest = Math.max(biggest, size);
        expect(size).toBeLessThanOrEqual(bound);
        // let the interval fsync run against the file being compacted
        await new Promise((r) => setImmediate(r));
      }
    }
    expect(written).toBeGreaterThan(2 * OFFSETS_COMPACT_BYTES);
    expect(biggest).toBeGreaterThan(OFFSETS_COMPACT_BYTES / 2);
    expect(b.health().status).toBe('ok');
    await b.close();
    expect(statSync(log).size).toBeLessThanOrEqual(bound);
    b = createMemoryBroker({ dataDir: dir });
    for (const g of groups)
      for (let p = 0; p < 4; p++)
        expect(b.committed({ group: g, topic: 'o', partition: p })).toEqual(latest.get(`${g}/${p}`));
    await b.close();
    // compacted on open: one line per group and partition
    expect(lines(log)).toHaveLength(12);
  });

  it('a crash between writing the snapshot and renaming it (a temp file left behind) still opens with the latest offsets', async () => {
    const dir = tmp();
    const log = join(dir, 'offsets.log');
    let b = createMemoryBroker({ dataDir: dir, fsync: 'always' });
    b.createTopic('t', { partitions: 2 });
    for (let i = 0; i <= 50; i++) b.commit({ group: 'g', topic: 't', partition: i % 2, offset: i, metadata: `m${i}` });
    await b.close();
    unlinkSync(join(dir, 'clean'));
    // the interrupted compaction: an older, torn snapshot in the temp file
    writeFileSync(`${log}.tmp`, '["g","t",0,2,"m2"]\n["g","t",1,3,"m3"]\n["g","t",1,');
    const warnings: string[] = [];
    b = createMemoryBroker({ dataDir: dir, onWarning: (m) => warnings.push(m) });
    expect(b.committed({ group: 'g', topic: 't', partition: 0 })).toEqual({ offset: 50, metadata: 'm50' });
    expect(b.committed({ group: 'g', topic: 't', partition: 1 })).toEqual({ offset: 49, metadata: 'm49' });
    expect(warnings.filter((w) => /torn line/.test(w))).toEqual([]);
    expect(existsSync(`${log}.tmp`)).toBe(false);
    expect(lines(log)).toEqual(['["g","t",0,50,"m50"]', '["g","t",1,49,"m49"]']);
    b.commit({ group: 'g', topic: 't', partition: 1, offset: 51 });
    await b.close();
    b = createMemoryBroker({ dataDir: dir });
    expect(b.committed({ group: 'g', topic: 't', partition: 1 })).toEqual({ offset: 51, metadata: undefined });
    await b.close();
  });

  it('reads a log larger than its read chunk line by line (lines and multi-byte characters crossing chunk ends)', async () => {
    const dir = tmp();
    const log = join(dir, 'offsets.log');
    let b = createMemoryBroker({ dataDir: dir });
    b.createTopic('t', { partitions: 3 });
    await b.close();
    // ~3.5 MiB written by an older version that compacted only on open
    const groups = ['groupé-ü', 'g-注文', 'plain'];
    const out: string[] = [];
    for (let i = 0; i < 90_000; i++)
      out.push(JSON.stringify([groups[i % 3], 't', i % 3, i, i % 2 ? `meta-${'é'.repeat(i % 13)}` : null]));
    writeFileSync(log, `${out.join('\n')}\n`);
    expect(statSync(log).size).toBeGreaterThan(3 * 1024 * 1024);
    const warnings: string[] = [];
    b = createMemoryBroker({ dataDir: dir, onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
    for (let k = 0; k < 3; k++) {
      const i = 90_000 - 3 + k;
      expect(b.committed({ group: groups[i % 3]!, topic: 't', partition: i % 3 })).toEqual({
        offset: i,
        metadata: i % 2 ? `meta-${'é'.repeat(i % 13)}` : undefined,
      });
    }
    await b.close();
    expect(lines(log)).toHaveLength(3);
  });
});
