import { afterAll, describe, expect, it } from 'vitest';
import type { AdminTransport, Transport, TransportAdmin } from '@partita/core';
import { createMemoryBroker, memoryTransport } from '@partita/memory';
import { adminConformance, runAdminScenario } from './admin-conformance.js';
import { adminScenarios } from './admin-scenarios.js';

// The kit against the embedded broker: one broker shared by every transport, as processes share a real one.
const broker = createMemoryBroker({ defaultPartitions: 3 });
afterAll(() => broker.close());

adminConformance('memory', () => memoryTransport(broker), { waitTimeoutMs: 20_000 });

// The kit must catch broken admin sides: each mutant wraps the memory transport with one defect.
type Defect = (inner: Transport & AdminTransport) => Partial<TransportAdmin> & { publish?: Transport['publish'] };

function defective(inner: Transport & AdminTransport, defect: Defect): Transport & AdminTransport {
  const d = defect(inner);
  const admin = inner.admin;
  return {
    name: `${inner.name}-defective`,
    capabilities: inner.capabilities,
    connect: () => inner.connect(),
    publish: d.publish ?? ((records) => inner.publish(records)),
    subscribe: (spec, sink) => inner.subscribe(spec, sink),
    health: () => inner.health(),
    close: () => inner.close(),
    admin: {
      topics: d.topics ?? (() => admin.topics()),
      lag: d.lag ?? ((g) => admin.lag(g)),
      read: d.read ?? ((t, o) => admin.read(t, o)),
      purge: d.purge ?? ((t, p) => admin.purge(t, p)),
    },
  };
}

const scenario = (prefix: string) => {
  const found = adminScenarios.find((s) => s.name.startsWith(prefix));
  if (!found) throw new Error(`no admin scenario starting with ${prefix}`);
  return found;
};

const mutants: { name: string; scenario: string; defect: Defect; error: RegExp }[] = [
  {
    name: 'reads with an exclusive `from`',
    scenario: 'read()',
    defect: (inner) => ({
      read: async (t, o = {}) => {
        const rs = await inner.admin.read(t, o.limit === undefined ? o : { ...o, limit: o.limit + 1 });
        return o.from !== undefined && /^\d+$/.test(o.from) ? rs.slice(1) : rs.slice(0, o.limit ?? 100);
      },
    }),
    error: /expected \[.*\] to deeply equal/,
  },
  {
    name: 'consumes what it reads (commits every group past it)',
    scenario: 'read()',
    defect: (inner) => ({
      read: async (t, o) => {
        const rs = await inner.admin.read(t, o);
        for (const l of await inner.admin.lag())
          if (l.topic === t) broker.commit({ group: l.group, topic: t, partition: l.partition, offset: l.end! });
        return rs;
      },
    }),
    error: /the group to handle every record|deeply equal/,
  },
  {
    name: 'reports no lag',
    scenario: 'lag()',
    defect: (inner) => ({ lag: async (g) => (await inner.admin.lag(g)).map((l) => ({ ...l, lag: 0 })) }),
    error: /to show the 5 records/,
  },
  {
    name: 'purges nothing',
    scenario: 'purge()',
    defect: () => ({ purge: (_t, p) => Promise.resolve({ removed: p?.length ?? 4 }) }),
    error: /not\.toContain|to read empty|expected \[/,
  },
  {
    name: 'redrives to every group (drops partita-target-group)',
    scenario: 'a dead letter is redriven',
    defect: (inner) => ({
      publish: (records) =>
        inner.publish(
          records.map((r) => {
            const { ['partita-target-group']: _dropped, ...headers } = r.headers;
            return { ...r, headers };
          }),
        ),
    }),
    error: /does not see it again/,
  },
];

describe('the admin conformance kit catches defective admin sides', () => {
  for (const m of mutants) {
    it(`fails "${m.scenario}…" when the admin ${m.name}`, async () => {
      const run = runAdminScenario(scenario(m.scenario), 'mutant', () => defective(memoryTransport(broker), m.defect), {
        waitTimeoutMs: 3_000,
        drainTimeoutMs: 500,
      });
      await expect(run).rejects.toThrow(m.error);
    });
  }
});
