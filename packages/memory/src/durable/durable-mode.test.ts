import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError, createVirtualClock } from '@partita/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBroker } from '../broker/create-memory-broker.js';
import type { MemoryBroker } from '../broker/memory-broker.js';
import { dec, enc, waitFor } from '../testing-support/recording-sink.test-support.js';
import { topicDirName } from './topic-directory.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'partita-memory-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const drain = (b: MemoryBroker, topic: string, partition = 0, group = `reader-${Math.random()}`): string[] => {
  const out: string[] = [];
  for (;;) {
    const recs = b.fetch({ group, topic, partition, max: 500 });
    if (recs.length === 0) return out;
    out.push(...recs.map((r) => dec(r.value)));
  }
};
const segDir = (dir: string, topic: string, p = 0): string => join(dir, 'logs', topicDirName(topic), String(p));

describe('durable mode', () => {
  it('replays records, headers, keys, topics, committed offsets with metadata and staged records after a restart', async () => {
    const dir = tmp();
    const clock = createVirtualClock(5000);
    let b = createMemoryBroker({ dataDir: dir, clock, fsync: 'always' });
    b.createTopic('orders', { partitions: 3, onExpire: 'dead-letter' });
    await b.publish(
      Array.from({ length: 30 }, (_, i) => ({
        topic: 'orders',
        key: `k${i % 5}`,
        value: enc(`v${i}`),
        headers: { n: String(i) },
      })),
    );
    await b.publish({ topic: 'orders', partition: 0, value: enc('delayed'), delayMs: 1000 });
    await b.publish({ topic: 'orders', partition: 0, value: enc('prio'), priority: 3 });
    b.commit({ group: 'g', topic: 'orders', partition: 1, offset: 2, metadata: 'meta' });
    const before = [0, 1, 2].map((p) => drain(b, 'orders', p, 'snap'));
    await b.close();
    b = createMemoryBroker({ dataDir: dir, clock });
    expect(b.topics()).toEqual([{ name: 'orders', partitions: 3 }]);
    expect(b.committed({ group: 'g', topic: 'orders', partition: 1 })).toEqual({ offset: 2, metadata: 'meta' });
    // 'prio' was sequenced by the snapshot read before the restart; 'delayed' is still waiting
    expect([0, 1, 2].map((p) => drain(b, 'orders', p, 'snap2'))).toEqual(before);
    expect(before[0]).toContain('prio');
    const rec = b.fetch({ group: 'x', topic: 'orders', partition: 2, max: 1 })[0]!;
    expect(rec.headers.n).toBeDefined();
    expect(rec.key).toMatch(/^k/);
    await clock.advance(1000);
    expect(drain(b, 'orders', 0, 'snap2')).toEqual(['delayed']);
    await b.close();
    b = createMemoryBroker({ dataDir: dir, clock });
    // sequenced once: not staged again after another restart
    expect(drain(b, 'orders', 0).filter((v) => v === 'delayed')).toHaveLength(1);
    expect(b.stats().topics[0]!.partitions[0]!.delayed).toBe(0);
    await b.close();
  });

  it('rolls segments, writes offset and time indexes, and applies retention by size and age', async () => {
    const dir = tmp();
    const clock = createVirtualClock(0);
    const b = createMemoryBroker({
      dataDir: dir,
      clock,
      segmentBytes: 2000,
      retentionBytes: 6000,
      retentionMs: 60_000,
      fsync: 'never',
    });
    const value = new Uint8Array(100);
    for (let i = 0; i < 20; i++) {
      await b.publish(Array.from({ length: 5 }, () => ({ topic: 't', value })));
      await clock.advance(1000);
    }
    const files = readdirSync(segDir(dir, 't')).sort();
    const logs = files.filter((f) => f.endsWith('.log'));
    expect(logs.length).toBeGreaterThan(1);
    expect(files.filter((f) => f.endsWith('.index'))).toHaveLength(logs.length);
    expect(files.filter((f) => f.endsWith('.timeindex'))).toHaveLength(logs.length);
    const totalLog = logs.reduce((n, f) => n + statSync(join(segDir(dir, 't'), f)).size, 0);
    expect(totalLog).toBeLessThanOrEqual(6000 + 2000);
    const start = b.stats().topics[0]!.partitions[0]!.startOffset;
    expect(start).toBeGreaterThan(0);
    expect(Number(logs[0]!.slice(0, 20))).toBe(start);
    // time index: 12 bytes per entry (f64 timestamp, u32 relative offset)
    expect(statSync(join(segDir(dir, 't'), logs.at(-1)!.replace('.log', '.timeindex'))).size % 12).toBe(0);
    // age: everything but the active segment goes once older than retentionMs
    await clock.advance(120_000);
    expect(readdirSync(segDir(dir, 't')).filter((f) => f.endsWith('.log'))).toHaveLength(1);
    await b.close();
  });

  it('truncates a torn tail with a warning, keeps every complete record and continues the offsets', async () => {
    const dir = tmp();
    let b = createMemoryBroker({ dataDir: dir, fsync: 'always' });
    for (let i = 0; i < 8; i++) await b.publish({ topic: 't', value: enc(`v${i}`) });
    // one publish is one frame on disk: a torn batch is lost whole, never in part
    await b.publish([
      { topic: 't', value: enc('v8') },
      { topic: 't', value: enc('v9') },
    ]);
    await b.close();
    const log = join(segDir(dir, 't'), '00000000000000000000.log');
    const size = statSync(log).size;
    truncateSync(log, size - 3);
    unlinkSync(join(dir, 'clean'));
    const warnings: string[] = [];
    b = createMemoryBroker({ dataDir: dir, onWarning: (m) => warnings.push(m) });
    expect(drain(b, 't')).toEqual(Array.from({ length: 8 }, (_, i) => `v${i}`));
    expect(warnings.join('\n')).toMatch(/torn frame.*truncated/);
    expect(warnings.join('\n')).toMatch(/not closed cleanly/);
    const h = b.health();
    expect(h.status).toBe('ok');
    expect(
      (h.details as { durable: { recovery: { truncatedBytes: number } } }).durable.recovery.truncatedBytes,
    ).toBeGreaterThan(0);
    await b.publish({ topic: 't', value: enc('next') });
    expect(b.fetch({ group: 'n', topic: 't', partition: 0 }).at(-1)!.offset).toBe('8');
    await b.close();
    // the next open is clean: no warning, nothing more truncated
    const again: string[] = [];
    b = createMemoryBroker({ dataDir: dir, onWarning: (m) => again.push(m) });
    expect(again).toEqual([]);
    expect(drain(b, 't')).toEqual([...Array.from({ length: 8 }, (_, i) => `v${i}`), 'next']);
    await b.close();
  });

  it('a corrupt byte inside a segment (checked with verifyChecksums always, or after a crash) truncates from there with a warning, never a crash loop', async () => {
    const dir = tmp();
    let b = createMemoryBroker({ dataDir: dir, segmentBytes: 200 });
    for (let i = 0; i < 20; i++) await b.publish({ topic: 't', value: enc(`value-${i}`) });
    await b.close();
    const logs = readdirSync(segDir(dir, 't'))
      .filter((f) => f.endsWith('.log'))
      .sort();
    expect(logs.length).toBeGreaterThan(2);
    const victim = join(segDir(dir, 't'), logs[1]!);
    const buf = readFileSync(victim);
    buf.writeUInt8(buf.readUInt8(buf.length - 2) ^ 0xff, buf.length - 2);
    writeFileSync(victim, buf);
    for (let attempt = 0; attempt < 2; attempt++) {
      const warnings: string[] = [];
      b = createMemoryBroker({ dataDir: dir, verifyChecksums: 'always', onWarning: (m) => warnings.push(m) });
      const vals = drain(b, 't');
      expect(vals.length).toBeGreaterThan(0);
      expect(vals).toEqual(Array.from({ length: vals.length }, (_, i) => `value-${i}`));
      if (attempt === 0) expect(warnings.join('\n')).toMatch(/checksum mismatch.*removed \d+ later segment/);
      else expect(warnings).toEqual([]);
      await b.close();
    }
  });

  it('after a crash every segment is checksummed even with the default verifyChecksums', async () => {
    const dir = tmp();
    let b = createMemoryBroker({ dataDir: dir, segmentBytes: 200 });
    for (let i = 0; i < 20; i++) await b.publish({ topic: 't', value: enc(`value-${i}`) });
    await b.close();
    const logs = readdirSync(segDir(dir, 't'))
      .filter((f) => f.endsWith('.log'))
      .sort();
    const victim = join(segDir(dir, 't'), logs[0]!);
    const buf = readFileSync(victim);
    buf.writeUInt8(buf.readUInt8(buf.length - 2) ^ 0xff, buf.length - 2);
    writeFileSync(victim, buf);
    unlinkSync(join(dir, 'clean'));
    const warnings: string[] = [];
    b = createMemoryBroker({ dataDir: dir, onWarning: (m) => warnings.push(m) });
    expect(warnings.join('\n')).toMatch(/checksum mismatch/);
    const vals = drain(b, 't');
    expect(vals).toEqual(Array.from({ length: vals.length }, (_, i) => `value-${i}`));
    await b.close();
  });

  it('rolled segments (synced off the hot path) get the index files a full scan would rebuild, with every fsync policy', async () => {
    for (const fsync of ['always', 'interval', 'never'] as const) {
      const dir = tmp();
      const clock = createVirtualClock(2_000_000);
      let b = createMemoryBroker({ dataDir: dir, clock, segmentBytes: 3000, fsync, fsyncIntervalMs: 50 });
      for (let i = 0; i < 60; i++) {
        // several frames per segment, several publishes per time-index interval
        await b.publish(
          Array.from({ length: 1 + (i % 3) }, (_, j) => ({
            topic: 't',
            key: `k${i}-${j}`,
            value: enc(`v${i}-${j}-${'x'.repeat(40)}`),
          })),
        );
        if (i % 4 === 3) await clock.advance(700);
      }
      const expected = drain(b, 't');
      await b.close();
      const files = readdirSync(segDir(dir, 't'))
        .filter((f) => /\.(time)?index$/.test(f))
        .sort();
      expect(files.filter((f) => f.endsWith('.timeindex')).length).toBeGreaterThan(3);
      const written = files.map((f) => readFileSync(join(segDir(dir, 't'), f)).toString('hex'));
      expect(written.every((hex) => hex.length > 0)).toBe(true);
      // verifyChecksums always scans every segment and rewrites its indexes from the scan
      b = createMemoryBroker({ dataDir: dir, clock, verifyChecksums: 'always' });
      expect(b.health().details?.durable).toMatchObject({ recovery: { cleanShutdown: true, truncatedBytes: 0 } });
      await b.close();
      expect(files.map((f) => readFileSync(join(segDir(dir, 't'), f)).toString('hex'))).toEqual(written);
      b = createMemoryBroker({ dataDir: dir, clock });
      expect(drain(b, 't')).toEqual(expected);
      await b.close();
    }
  });

  it('serves records no longer in memory from the segment files: order, keys, headers, seek by timestamp, bounded memory', async () => {
    const dir = tmp();
    const clock = createVirtualClock(1_000_000);
    let b = createMemoryBroker({ dataDir: dir, clock, cacheBytes: 2000, segmentBytes: 5000, fsync: 'never' });
    for (let i = 0; i < 300; i++) {
      await b.publish(
        i % 3 === 0
          ? [{ topic: 't', key: `k${i}`, value: enc(`v${i}`), headers: { i: String(i) } }]
          : [{ topic: 't', value: enc(`v${i}`) }],
      );
      await clock.advance(100);
    }
    expect(b.stats().topics[0]!.bytes).toBeLessThanOrEqual(2100);
    const check = (bk: typeof b): void => {
      const all = bk.fetch({ group: `g-${Math.random()}`, topic: 't', partition: 0, max: 10_000 });
      expect(all.map((r) => dec(r.value))).toEqual(Array.from({ length: 300 }, (_, i) => `v${i}`));
      expect(all.map((r) => r.offset)).toEqual(Array.from({ length: 300 }, (_, i) => String(i)));
      expect(all[30]).toMatchObject({ key: 'k30', headers: { i: '30' }, timestamp: 1_003_000 });
      expect(all[31]!.key).toBeUndefined();
      expect(bk.offsetForTimestamp('t', 0, 1_003_050)).toBe(31);
      expect(bk.offsetForTimestamp('t', 0, 0)).toBe(0);
      expect(bk.offsetForTimestamp('t', 0, 9_000_000)).toBe(300);
    };
    check(b);
    await b.close();
    // clean reopen trusts the index files; reopen with verifyChecksums always scans everything: same answers
    b = createMemoryBroker({ dataDir: dir, clock });
    expect(b.stats().topics[0]!.bytes).toBe(0);
    check(b);
    await b.close();
    b = createMemoryBroker({ dataDir: dir, clock, verifyChecksums: 'always' });
    check(b);
    await b.close();
  });

  it('in durable mode limits bound memory, not the log: written records are released, nothing is lost', async () => {
    const dir = tmp();
    const b = createMemoryBroker({ dataDir: dir, maxMessages: 10, fsync: 'never' });
    for (let i = 0; i < 5; i++) await b.publish([0, 1, 2, 3].map((j) => ({ topic: 't', value: enc(`v${i * 4 + j}`) })));
    expect(b.stats().messages).toBe(0);
    expect(drain(b, 't')).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
    // prioritised records are staged in memory (counted), cached once in the log, released under pressure
    await b.publish([1, 2, 3, 4, 5, 6, 7, 8].map((p) => ({ topic: 't', value: enc(`p${p}`), priority: p })));
    expect(b.stats().messages).toBe(8);
    expect(
      b
        .fetch({ group: 'live', topic: 't', partition: 0, max: 100 })
        .slice(20)
        .map((r) => dec(r.value)),
    ).toEqual(['p8', 'p7', 'p6', 'p5', 'p4', 'p3', 'p2', 'p1']);
    await expect(
      b.publish([1, 2, 3].map((p) => ({ topic: 't', value: enc(`q${p}`), priority: p }))),
    ).resolves.toBeUndefined();
    expect(b.stats().messages).toBe(3);
    await expect(
      b.publish(Array.from({ length: 11 }, (_, p) => ({ topic: 't', value: enc('x'), priority: p }))),
    ).rejects.toThrow(/maxMessages/);
    expect(drain(b, 't').slice(20)).toEqual(['p8', 'p7', 'p6', 'p5', 'p4', 'p3', 'p2', 'p1', 'q3', 'q2', 'q1']);
    await b.close();
  });

  it('fsync interval: syncs on the clock and reports when', async () => {
    const dir = tmp();
    const clock = createVirtualClock(500);
    const b = createMemoryBroker({ dataDir: dir, clock, fsync: 'interval', fsyncIntervalMs: 250 });
    await b.publish({ topic: 't', value: enc('x') });
    const last = (): unknown => (b.health().details as { durable: { lastFsyncAt?: number } }).durable.lastFsyncAt;
    expect(last()).toBeUndefined();
    await clock.advance(249);
    expect(last()).toBeUndefined();
    await clock.advance(1);
    await waitFor(() => last() === 750, 'interval fsync');
    await b.close();
    expect(clock.pending()).toBe(0);
  });

  it('recovery after a crash scans segments larger than its read chunk (frames crossing chunk ends)', async () => {
    const dir = tmp();
    let b = createMemoryBroker({ dataDir: dir, fsync: 'never' });
    const value = new Uint8Array(1000).fill(7);
    for (let i = 0; i < 12; i++)
      await b.publish(
        Array.from({ length: 1000 }, (_, j) => ({ topic: 'big', key: `k${j}`, value, headers: { batch: String(i) } })),
      );
    await b.close();
    unlinkSync(join(dir, 'clean'));
    const warnings: string[] = [];
    b = createMemoryBroker({ dataDir: dir, onWarning: (m) => warnings.push(m) });
    expect(warnings.some((w) => /truncated/.test(w))).toBe(false);
    expect(b.stats().topics[0]!.partitions[0]!.endOffset).toBe(12_000);
    const last = b.fetch({ group: 'g', topic: 'big', partition: 0, max: 12_000 });
    expect(last).toHaveLength(12_000);
    expect(last[11_999]).toMatchObject({ offset: '11999', key: 'k999', headers: { batch: '11' } });
    await b.close();
  });

  it('a corrupt topics.json is a clear error naming the file', async () => {
    const dir = tmp();
    const b = createMemoryBroker({ dataDir: dir });
    await b.publish({ topic: 't', value: enc('x') });
    await b.close();
    writeFileSync(join(dir, 'topics.json'), '{ not json');
    expect(() => createMemoryBroker({ dataDir: dir })).toThrow(ConnectionError);
    expect(() => createMemoryBroker({ dataDir: dir })).toThrow(/topics\.json/);
  });

  it('ignores a torn last line of offsets.log', async () => {
    const dir = tmp();
    let b = createMemoryBroker({ dataDir: dir });
    await b.publish({ topic: 't', value: enc('x') });
    b.commit({ group: 'g', topic: 't', partition: 0, offset: 1 });
    await b.close();
    appendFileSync(join(dir, 'offsets.log'), '["g","t",0,');
    const warnings: string[] = [];
    b = createMemoryBroker({ dataDir: dir, onWarning: (m) => warnings.push(m) });
    expect(b.committed({ group: 'g', topic: 't', partition: 0 })?.offset).toBe(1);
    expect(warnings.join()).toMatch(/torn line/);
    await b.close();
    expect(existsSync(join(dir, 'clean'))).toBe(true);
  });
});
