import { describe, expect, it } from 'vitest';
import type { LedgerEvent } from '@partita/testing';
import type { SettlementEvent } from '../member/settlement-log.js';
import { accountDuplicates } from './settlement-window.js';

const p = (id: string, at = 0): LedgerEvent => ({ t: 'p', id, key: 'k', at });
const h = (id: string, by: string, at: number): LedgerEvent => ({ t: 'h', id, key: 'k', by, at });
const where = (id: string, by: string, offset: number, at: number): SettlementEvent => ({
  t: 'h',
  by,
  id,
  lane: 't/0',
  offset: String(offset),
  at,
});

describe('accountDuplicates', () => {
  it("puts a record re-handled after its handler was killed before committing inside the killed member's window", () => {
    const ledger = [p('a'), p('b'), h('a', 'm1', 1), h('b', 'm1', 2), h('a', 'm2', 10), h('b', 'm2', 11)];
    const settlements: SettlementEvent[] = [
      where('a', 'm1', 0, 1),
      where('b', 'm1', 1, 2),
      { t: 'c', by: 'm1', lane: 't/0', next: '1', at: 3 },
    ];
    // m1 committed past a (next 1) before dying, so a's re-handling is unexplained; b was in its window
    const account = accountDuplicates(ledger, settlements, new Set(['m1']));
    expect(account).toMatchObject({
      duplicates: 2,
      withinKilledWindow: 1,
      withinLiveWindow: 0,
      unexplained: ['a'],
      killedWindows: { m1: 1 },
      killedWindowTotal: 1,
    });
  });

  it('credits a settlement only if it was confirmed before the re-handling', () => {
    const ledger = [p('a'), h('a', 'm1', 1), h('a', 'm2', 5)];
    const late: SettlementEvent[] = [where('a', 'm1', 0, 1), { t: 'c', by: 'm1', lane: 't/0', next: '1', at: 9 }];
    expect(accountDuplicates(ledger, late, new Set()).withinLiveWindow).toBe(1);
    const early: SettlementEvent[] = [where('a', 'm1', 0, 1), { t: 'c', by: 'm1', lane: 't/0', next: '1', at: 4 }];
    expect(accountDuplicates(ledger, early, new Set()).unexplained).toEqual(['a']);
  });

  it('counts acks of the message model, and a handling with no settlement line as unsettled', () => {
    const ledger = [p('a'), p('b'), h('a', 'm1', 1), h('b', 'm1', 2), h('a', 'm2', 10), h('b', 'm2', 11)];
    const settlements: SettlementEvent[] = [
      where('a', 'm1', 7, 1),
      { t: 'a', by: 'm1', lane: 't/0', offsets: ['7'], at: 2 },
    ];
    const account = accountDuplicates(ledger, settlements, new Set(['m1']));
    expect(account).toMatchObject({
      duplicates: 2,
      withinKilledWindow: 1,
      unexplained: ['a'],
      killedWindows: { m1: 1 },
    });
  });

  it('matches acks of broker ids that are not integers (Redis entry ids)', () => {
    const ledger = [p('a'), h('a', 'm1', 1), h('a', 'm2', 10)];
    const settlements: SettlementEvent[] = [
      { t: 'h', by: 'm1', id: 'a', lane: 't/0', offset: '1796107927821-0', at: 1 },
      { t: 'a', by: 'm1', lane: 't/0', offsets: ['1796107927821-0'], at: 2 },
    ];
    expect(accountDuplicates(ledger, settlements, new Set(['m1']))).toMatchObject({
      duplicates: 1,
      unexplained: ['a'],
    });
    expect(accountDuplicates(ledger, settlements.slice(0, 1), new Set(['m1'])).withinKilledWindow).toBe(1);
  });

  it('traces an unexplained duplicate: its handlings and the settlements of its lane between them', () => {
    const ledger = [p('a'), h('a', 'm1', 100), h('a', 'm2', 130)];
    const settlements: SettlementEvent[] = [
      where('a', 'm1', 4, 100),
      { t: 'c', by: 'm1', lane: 't/0', next: '5', at: 110 },
      { t: 'c', by: 'm3', lane: 't/1', next: '9', at: 115 },
      where('a', 'm2', 4, 130),
    ];
    expect(accountDuplicates(ledger, settlements, new Set(['m2'])).unexplainedTrace).toEqual([
      'a (m1@t/0:4, m2@t/0:4)',
      '  +0 ms handled by m1',
      '  +30 ms handled by m2 (killed)',
      '  +10 ms m1 committed t/0 next 5',
    ]);
    expect(accountDuplicates(ledger, settlements.slice(0, 1), new Set()).unexplainedTrace).toEqual([]);
  });

  it('puts a re-handling by a member still holding a lane the broker gave to another member down to a stale owner', () => {
    const ledger = [p('a'), h('a', 'm2', 300), h('a', 'm1', 900)];
    const lane = (by: string, op: 'assigned' | 'revoking' | 'released', at: number): SettlementEvent => ({
      t: 'l',
      by,
      lane: 't/0',
      op,
      at,
    });
    const settlements: SettlementEvent[] = [
      lane('m1', 'assigned', 0),
      where('a', 'm1', 4, 900),
      lane('m2', 'assigned', 200),
      where('a', 'm2', 4, 300),
      { t: 'c', by: 'm2', lane: 't/0', next: '5', at: 400 },
      lane('m1', 'revoking', 900),
    ];
    expect(accountDuplicates(ledger, settlements, new Set())).toMatchObject({
      duplicates: 1,
      byStaleOwner: 1,
      staleOwnerMaxMs: 700,
      unexplained: [],
    });
    // The same handling by the lane's newest owner is not a stale owner's.
    const reassigned = [...settlements.slice(0, 5), lane('m1', 'assigned', 800)];
    expect(accountDuplicates(ledger, reassigned, new Set())).toMatchObject({ byStaleOwner: 0, unexplained: ['a'] });
  });
});
