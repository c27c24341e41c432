import { expect } from 'vitest';
import { PartitaError, recordId } from '@partita/core';
import type { BrowsedRecord } from '@partita/core';
import type { Scenario } from '../conformance/scenario.js';
import { backlog, kitValue } from './admin-backlog.js';
import { redriveScenario } from './redrive-scenario.js';

const idsOf = (records: readonly BrowsedRecord[]): string[] => records.map((r) => kitValue(r).id);

const topicsScenario: Scenario = {
  name: 'topics() lists a topic with its partitions and depth',
  async run(h) {
    const b = await backlog(h, 'adm-topics', 6);
    let last: unknown;
    const info = await h.waitFor(
      async () => {
        const topics = await b.admin.admin.topics();
        last = topics.find((t) => t.name === b.topic) ?? topics.map((t) => t.name);
        return topics.find((t) => t.name === b.topic && t.depth === 6);
      },
      `topics() to list "${b.topic}" with depth 6`,
      () => `last: ${JSON.stringify(last)}`,
    );
    expect(info.partitions).toBeGreaterThanOrEqual(1);
    const all = await b.admin.admin.read(b.topic);
    for (const r of all) expect(r.partition).toBeLessThan(info.partitions);
  },
};

const readScenario: Scenario = {
  name: 'read() browses oldest first (inclusive from, limit, partition) and consumes nothing',
  async run(h) {
    const b = await backlog(h, 'adm-read', 9);
    const { admin } = b.admin;
    const all = await h.waitFor(async () => {
      const rs = await admin.read(b.topic, { limit: 100 });
      return rs.length >= b.ids.length ? rs : undefined;
    }, `read() to return the ${b.ids.length} records`);
    expect(idsOf(all).sort()).toEqual([...b.ids].sort());
    const first = all.find((r) => kitValue(r).id === b.ids[0])!;
    expect(first).toMatchObject({ topic: b.topic, key: 'k', headers: { 'x-kit': 'admin' } });
    expect(kitValue(first)).toEqual({ id: b.ids[0], n: 0 });
    expect(typeof first.position).toBe('string');
    expect(new Set(all.map(recordId)).size, 'positions are unique').toBe(all.length);

    // One key is one partition: its records come oldest first, there and in the whole read.
    const p = first.partition;
    const keyedInAll = idsOf(all).filter((id) => b.keyed.includes(id));
    expect(keyedInAll).toEqual(b.keyed);
    const part = await admin.read(b.topic, { partition: p });
    expect(part.every((r) => r.partition === p)).toBe(true);
    expect(idsOf(part).filter((id) => b.keyed.includes(id))).toEqual(b.keyed);

    // `from` is inclusive; `limit` bounds.
    const third = part.find((r) => kitValue(r).id === b.keyed[2])!;
    const from = await admin.read(b.topic, { partition: p, from: third.position, limit: 2 });
    expect(idsOf(from)).toEqual(idsOf(part).slice(part.indexOf(third), part.indexOf(third) + 2));
    expect(await admin.read(b.topic, { limit: 3 })).toHaveLength(3);

    // Browsing took nothing from the group: it still gets every record, once.
    expect(idsOf(await admin.read(b.topic, { limit: 100 })).sort()).toEqual([...b.ids].sort());
    await b.resume();
    await h.waitFor(() => b.handled.length >= b.ids.length, 'the group to handle every record');
    expect([...b.handled].sort()).toEqual([...b.ids].sort());
  },
};

const lagScenario: Scenario = {
  name: "lag() shows a group's backlog, then 0 once it caught up",
  async run(h) {
    const b = await backlog(h, 'adm-lag', 5);
    const { admin } = b.admin;
    const total = async (group?: string): Promise<number> =>
      (await admin.lag(group)).filter((l) => l.topic === b.topic && l.group === b.group).reduce((n, l) => n + l.lag, 0);
    await h.waitFor(async () => (await total(b.group)) === 5, `lag(${b.group}) to show the 5 records`);
    const rows = await admin.lag(b.group);
    expect(rows.every((r) => r.group === b.group)).toBe(true);
    expect(await total(), 'lag() without a group lists it too').toBe(5);
    await b.resume();
    await h.waitFor(() => b.handled.length >= 5, 'the group to handle the backlog');
    await h.waitFor(async () => (await total(b.group)) === 0, `lag(${b.group}) to drop to 0`);
  },
};

const purgeScenario: Scenario = {
  name: 'purge() removes single records where the broker can, then all of them; the group gets none',
  async run(h) {
    const b = await backlog(h, 'adm-purge', 4);
    const { admin } = b.admin;
    const all = await h.waitFor(async () => {
      const rs = await admin.read(b.topic);
      return rs.length >= 4 ? rs : undefined;
    }, 'the 4 records');
    const victim = all[1]!;
    const single = await admin.purge(b.topic, [recordId(victim)]).then(
      (r) => r,
      (err: unknown) => {
        // A broker that cannot delete single records says so with a partita error.
        expect(err).toBeInstanceOf(PartitaError);
        return undefined;
      },
    );
    if (single !== undefined) {
      expect(single.removed).toBe(1);
      const left = idsOf(await admin.read(b.topic));
      expect(left).not.toContain(kitValue(victim).id);
      expect(left).toHaveLength(3);
    }
    const { removed } = await admin.purge(b.topic);
    expect(removed).toBe(single === undefined ? 4 : 3);
    await h.waitFor(async () => (await admin.read(b.topic)).length === 0, 'the topic to read empty');
    const info = (await admin.topics()).find((t) => t.name === b.topic);
    if (info?.depth !== undefined) expect(info.depth).toBe(0);
    // Records published after the purge still flow; the purged ones never reach the group.
    const app = await b.resume();
    await app.publish({ topic: b.topic, key: 'k', value: { id: 'after-purge' } });
    await h.waitFor(() => b.handled.includes('after-purge'), 'the record published after the purge');
    expect(b.handled).toEqual(['after-purge']);
  },
};

/** The admin scenarios, in the order they run. */
export const adminScenarios: readonly Scenario[] = [
  topicsScenario,
  readScenario,
  lagScenario,
  purgeScenario,
  redriveScenario,
];
