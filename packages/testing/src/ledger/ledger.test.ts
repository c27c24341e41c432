import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TimeoutError } from '@partita/core';
import { createLedger } from './ledger.js';
import { analyzeLedger, formatLedgerReport } from './ledger-report.js';

const dirs: string[] = [];
const tempFile = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'partita-ledger-'));
  dirs.push(dir);
  return join(dir, 'ledger.jsonl');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('createLedger (in memory)', () => {
  it('reports nothing lost when every published id was handled once', () => {
    const ledger = createLedger();
    ledger.recordPublished([{ id: 'a', key: 'k' }, { id: 'b', key: 'k' }, { id: 'c' }]);
    ledger.recordHandled({ id: 'a', by: 'x' });
    ledger.recordHandled({ id: 'c', by: 'y' });
    ledger.recordHandled({ id: 'b', by: 'x' });
    const r = ledger.report();
    expect(r).toMatchObject({ published: 3, handled: 3, handlings: 3, lost: [], unexpected: [], orderViolations: [] });
    expect(r.duplicates).toEqual({ count: 0, ids: [] });
    expect(r.byHandler).toEqual({ x: 2, y: 1 });
  });

  it('lists lost ids in publish order and counts duplicates', () => {
    const ledger = createLedger();
    ledger.recordPublished([{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }]);
    ledger.recordHandled({ id: 'b' });
    ledger.recordHandled({ id: 'b' });
    ledger.recordHandled({ id: 'b' });
    ledger.recordHandled({ id: 'd' });
    const r = ledger.report();
    expect(r.lost).toEqual(['a', 'c']);
    expect(r.duplicates).toEqual({ count: 2, ids: ['b'] });
    expect(r.handled).toBe(2);
    expect(r.handlings).toBe(4);
    expect(ledger.handledCount('b')).toBe(3);
    expect(ledger.handledCount('a')).toBe(0);
  });

  it('reports a per-key order violation when a later message is first handled before an earlier one', () => {
    const ledger = createLedger();
    ledger.recordPublished([
      { id: 'k1-0', key: 'k1' },
      { id: 'k2-0', key: 'k2' },
      { id: 'k1-1', key: 'k1' },
      { id: 'k1-2', key: 'k1' },
    ]);
    ledger.recordHandled({ id: 'k1-0' });
    ledger.recordHandled({ id: 'k1-2' });
    ledger.recordHandled({ id: 'k2-0' });
    ledger.recordHandled({ id: 'k1-1' });
    const r = ledger.report();
    expect(r.orderViolations).toEqual([{ key: 'k1', id: 'k1-1', seq: 1, after: { id: 'k1-2', seq: 2 } }]);
  });

  it('checks per-key order within each member: a member handling a key out of publish order is a member violation', () => {
    const ledger = createLedger();
    ledger.recordPublished(['m0', 'm1', 'm2', 'm3'].map((id) => ({ id, key: 'k' })));
    // the key is spread over two members (NATS): globally out of order, each member in order
    ledger.recordHandled({ id: 'm1', by: 'b' });
    ledger.recordHandled({ id: 'm0', by: 'a' });
    ledger.recordHandled({ id: 'm3', by: 'a' });
    // b then takes m2 after m1: in order for b
    ledger.recordHandled({ id: 'm2', by: 'b' });
    let r = ledger.report();
    expect(r.orderViolations.length).toBeGreaterThan(0);
    expect(r.memberOrderViolations).toEqual([]);
    ledger.recordPublished({ id: 'm4', key: 'k' });
    ledger.recordPublished({ id: 'm5', key: 'k' });
    ledger.recordHandled({ id: 'm5', by: 'a' });
    ledger.recordHandled({ id: 'm4', by: 'a' });
    r = ledger.report();
    expect(r.memberOrderViolations).toEqual([{ by: 'a', key: 'k', id: 'm4', seq: 4, after: { id: 'm5', seq: 5 } }]);
    expect(formatLedgerReport(r)).toContain('member order violations 1 [a:k:m4<m5]');
  });

  it('leaves redeliveries (attempt > 1) out of the member order check and counts them', () => {
    const ledger = createLedger();
    ledger.recordPublished(['m0', 'm1', 'm2'].map((id) => ({ id, key: 'k' })));
    // a took m0 and died unsettled; b handled m1, m2, then got m0 redelivered
    ledger.recordHandled({ id: 'm1', by: 'b' });
    ledger.recordHandled({ id: 'm2', by: 'b' });
    ledger.recordHandled({ id: 'm0', by: 'b', attempt: 2 });
    const r = ledger.report();
    expect(r.memberOrderViolations).toEqual([]);
    expect(r.redeliveredHandlings).toBe(1);
    expect(r.lost).toEqual([]);
  });

  it('leaves records the broker redelivered at attempt 1 (hand-backs) out of the member order check', () => {
    const ledger = createLedger();
    ledger.recordPublished(['m0', 'm1', 'm2'].map((id) => ({ id, key: 'k' })));
    // a stopped with m0 buffered and handed it back unhandled; b handled m1, m2, then got m0 as attempt 1
    ledger.recordHandled({ id: 'm1', by: 'b' });
    ledger.recordHandled({ id: 'm2', by: 'b' });
    ledger.recordHandled({ id: 'm0', by: 'b', redelivered: true });
    let r = ledger.report();
    expect(r.memberOrderViolations).toEqual([]);
    expect(r.redeliveredHandlings).toBe(1);
    // without the flag the same handlings are a violation
    const plain = createLedger();
    plain.recordPublished(['m0', 'm1'].map((id) => ({ id, key: 'k' })));
    plain.recordHandled({ id: 'm1', by: 'b' });
    plain.recordHandled({ id: 'm0', by: 'b' });
    r = plain.report();
    expect(r.memberOrderViolations).toHaveLength(1);
  });

  it('counts redeliveries after a crash as duplicates, not order violations', () => {
    const ledger = createLedger();
    ledger.recordPublished(['m0', 'm1', 'm2', 'm3'].map((id) => ({ id, key: 'k' })));
    for (const id of ['m0', 'm1', 'm2']) ledger.recordHandled({ id, by: 'a' });
    // consumer a dies before committing; b replays from m1
    for (const id of ['m1', 'm2', 'm3']) ledger.recordHandled({ id, by: 'b' });
    const r = ledger.report();
    expect(r.orderViolations).toEqual([]);
    expect(r.duplicates).toEqual({ count: 2, ids: ['m1', 'm2'] });
    expect(r.lost).toEqual([]);
  });

  it('ignores keyless messages for ordering and reports handled ids that were never published', () => {
    const ledger = createLedger();
    ledger.recordPublished([{ id: 'x' }, { id: 'y' }]);
    ledger.recordHandled({ id: 'y' });
    ledger.recordHandled({ id: 'x' });
    ledger.recordHandled({ id: 'stranger' });
    const r = ledger.report();
    expect(r.orderViolations).toEqual([]);
    expect(r.unexpected).toEqual(['stranger']);
    expect(formatLedgerReport(r)).toContain('unexpected 1 [stranger]');
  });

  it('counts an id published twice once, keeping its first position', () => {
    const r = analyzeLedger([
      { t: 'p', id: 'a', key: 'k', at: 0 },
      { t: 'p', id: 'b', key: 'k', at: 0 },
      { t: 'p', id: 'a', key: 'k', at: 0 },
      { t: 'h', id: 'a', key: 'k', by: 'x', at: 0 },
      { t: 'h', id: 'b', key: 'k', by: 'x', at: 0 },
    ]);
    expect(r.published).toBe(2);
    expect(r.orderViolations).toEqual([]);
  });

  it('waitForAllHandled resolves once everything is handled, and times out with what is missing', async () => {
    const ledger = createLedger();
    ledger.recordPublished([{ id: 'a' }, { id: 'b' }]);
    ledger.recordHandled({ id: 'a' });
    const failing = ledger.waitForAllHandled({ timeoutMs: 100 });
    await expect(failing).rejects.toBeInstanceOf(TimeoutError);
    await expect(ledger.waitForAllHandled({ timeoutMs: 100 })).rejects.toThrow(/lost 1 \[b\]/);
    setTimeout(() => ledger.recordHandled({ id: 'b' }), 30);
    const r = await ledger.waitForAllHandled({ timeoutMs: 10_000 });
    expect(r.lost).toEqual([]);
    await expect(ledger.waitForAllHandled({ timeoutMs: 50, expected: 3 })).rejects.toThrow(/expected ≥ 3/);
  });

  it('rejects invalid entries and recording after close', () => {
    const ledger = createLedger();
    expect(() => ledger.recordPublished({ id: 3 as unknown as string })).toThrow(TypeError);
    expect(() => ledger.recordHandled({} as { id: string })).toThrow(/entry.id/);
    ledger.close();
    ledger.close();
    expect(() => ledger.recordHandled({ id: 'a' })).toThrow(/closed/);
    expect(() => createLedger({ file: '' })).toThrow(/options.file/);
  });
});

describe('createLedger (file-backed)', () => {
  it('appends one JSON line per event and merges lines written by other processes', () => {
    const file = tempFile();
    const ledger = createLedger({ file, truncate: true });
    ledger.recordPublished([
      { id: 'p1', key: 'k' },
      { id: 'p2', key: 'k' },
      { id: 'p3', key: 'k' },
    ]);
    // A child process opens the same file and records handlings.
    const child = spawnSync(process.execPath, [
      '--input-type=module',
      '-e',
      `
      import { openSync, writeSync } from 'node:fs';
      const fd = openSync(${JSON.stringify(file)}, 'a');
      for (const id of ['p1', 'p2']) writeSync(fd, JSON.stringify({ t: 'h', id, key: 'k', by: 'child', at: Date.now() }) + '\\n');
    `,
    ]);
    expect(child.status, child.stderr.toString()).toBe(0);
    ledger.recordHandled({ id: 'p3', by: 'parent' });
    const r = ledger.report();
    expect(r).toMatchObject({ published: 3, handled: 3, lost: [], byHandler: { child: 2, parent: 1 } });
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(6);
    expect(JSON.parse(lines[0]!)).toMatchObject({ t: 'p', id: 'p1', key: 'k' });
    ledger.close();
  });

  it('two ledgers on one file see each other, skip a torn line, and truncate only when asked', () => {
    const file = tempFile();
    const a = createLedger({ file, truncate: true });
    const b = createLedger({ file });
    a.recordPublished({ id: 'one' });
    appendFileSync(file, '{"t":"h","id":\n');
    b.recordHandled({ id: 'one', by: 'b' });
    expect(a.report()).toMatchObject({ published: 1, handled: 1, malformedLines: 1 });
    expect(b.report()).toMatchObject({ published: 1, handled: 1 });
    const c = createLedger({ file, truncate: true });
    expect(c.report().published).toBe(0);
    expect(a.report().published).toBe(0);
    for (const l of [a, b, c]) l.close();
  });

  it('reads a large file incrementally', () => {
    const file = tempFile();
    const ledger = createLedger({ file, truncate: true });
    const entries = Array.from({ length: 20_000 }, (_, i) => ({ id: `m-${i}`, key: `k${i % 7}` }));
    ledger.recordPublished(entries);
    expect(ledger.report().lost).toHaveLength(20_000);
    for (const e of entries) ledger.recordHandled({ id: e.id });
    const r = ledger.report();
    expect(r.lost).toEqual([]);
    expect(r.orderViolations).toEqual([]);
    ledger.close();
  });
});
