import { afterAll, describe, expect, it } from 'vitest';
import { ClosedError } from '@partita/core';
import type {
  InboundRecord,
  LaneHandle,
  LaneSink,
  OutboundRecord,
  SubscriptionSink,
  SubscriptionSpec,
  Transport,
} from '@partita/core';
import { createMemoryBroker, memoryTransport } from '@partita/memory';
import { conformanceScenarios, conformanceSuite, runConformanceScenario } from '@partita/testing/vitest';

// One in-process broker shared by every app of the suite, as several
// processes would share a real broker; each app gets its own transport.
const broker = createMemoryBroker({ defaultPartitions: 4 });
afterAll(() => broker.close());

conformanceSuite({
  name: 'memory',
  createTransport: () => memoryTransport(broker),
  // No network connection to cut.
});

// The kit must catch broken connectors: each mutant below wraps the memory
// transport with one defect, and the scenario that guards against it must fail.
interface Defect {
  publish?(records: readonly OutboundRecord[], inner: Transport): Promise<void>;
  spec?(spec: SubscriptionSpec): SubscriptionSpec;
  assigned?(lane: LaneHandle, sink: SubscriptionSink): LaneSink;
}

function defective(inner: Transport, defect: Defect): Transport {
  return {
    name: `${inner.name}-defective`,
    capabilities: inner.capabilities,
    connect: () => inner.connect(),
    publish: (records) => (defect.publish ? defect.publish(records, inner) : inner.publish(records)),
    subscribe: (spec, sink) =>
      inner.subscribe(defect.spec ? defect.spec(spec) : spec, {
        assigned: (lane) => (defect.assigned ? defect.assigned(lane, sink) : sink.assigned(lane)),
        revoked: (id) => sink.revoked(id),
      }),
    health: () => inner.health(),
    close: () => inner.close(),
  };
}

const deliverWith = (fn: (records: readonly InboundRecord[]) => readonly InboundRecord[]): Defect => ({
  assigned(lane, sink) {
    const s = sink.assigned(lane);
    return { deliver: (records) => s.deliver(fn(records)) };
  },
});

const scenario = (prefix: string) => {
  const found = conformanceScenarios.find((s) => s.name.startsWith(prefix));
  if (!found) throw new Error(`no scenario starting with ${prefix}`);
  return found;
};

const mutants: { name: string; scenario: string; defect: Defect; error: RegExp }[] = [
  {
    name: 'drops some delivered records',
    scenario: 'every one of many messages',
    defect: deliverWith((rs) => rs.filter((r) => Number(r.offset) % 97 !== 5)),
    error: /lost [1-9]/,
  },
  {
    name: 'reverses each delivered batch',
    scenario: 'order per key holds',
    defect: deliverWith((rs) => [...rs].reverse()),
    error: /order violations [1-9]|orderViolations|toEqual/,
  },
  {
    name: 'drops application headers on publish',
    scenario: 'publish/subscribe round trip',
    defect: {
      publish: (rs, inner) =>
        inner.publish(rs.map((r) => ({ ...r, headers: { 'content-type': r.headers['content-type'] ?? '' } }))),
    },
    error: /x-trace|toMatchObject/,
  },
  {
    name: 'drops the partita headers of dead-letter copies',
    scenario: 'a poison message',
    defect: {
      publish: (rs, inner) =>
        inner.publish(
          rs.map((r) => ({
            ...r,
            headers: Object.fromEntries(Object.entries(r.headers).filter(([k]) => !k.startsWith('partita-original'))),
          })),
        ),
    },
    error: /to match object/,
  },
  {
    name: 'swallows ClosedError on publish after close',
    scenario: 'publish after stop()',
    defect: {
      publish: (rs, inner) =>
        inner.publish(rs).catch((err: unknown) => {
          if (!(err instanceof ClosedError)) throw err;
        }),
    },
    error: /ClosedError|ERR_CLOSED|promise resolved/i,
  },
  {
    name: 'starts new groups at the latest position',
    scenario: 'a new group reads messages',
    defect: { spec: (spec) => ({ ...spec, startFrom: 'latest' }) },
    error: /lost [1-9]/,
  },
  {
    name: 'drops delayMs (delivers delayed retries at once)',
    scenario: "retry.mode 'delayed'",
    defect: { publish: (rs, inner) => inner.publish(rs.map(({ delayMs: _dropped, ...r }) => r)) },
    error: /before its 1000 ms delay/,
  },
  {
    name: 'rejects every delayed publish',
    scenario: "retry.mode 'delayed'",
    defect: {
      publish: (rs, inner) =>
        rs.some((r) => r.delayMs !== undefined)
          ? Promise.reject(new Error('delayed publish refused by the mutant'))
          : inner.publish(rs),
    },
    error: /message\.retry-handoff-failed events: Error: delayed publish refused by the mutant/,
  },
  {
    name: 'commits past unsettled records',
    scenario: 'messages not acknowledged before a consumer dies',
    defect: {
      assigned(lane, sink) {
        if (lane.ackModel !== 'offset') throw new Error('the memory broker hands out offset lanes');
        let next = 0;
        const s = sink.assigned({
          ackModel: 'offset',
          id: lane.id,
          pause: () => lane.pause(),
          resume: () => lane.resume(),
          ...(lane.committedMetadata !== undefined ? { committedMetadata: lane.committedMetadata } : {}),
          commit: (_offset: string, metadata?: string) => lane.commit(String(next), metadata),
        });
        return {
          deliver(records) {
            for (const r of records) next = Math.max(next, Number(r.offset) + 1);
            s.deliver(records);
          },
        };
      },
    },
    error: /lost [1-9]|was redelivered to b/,
  },
];

describe('the conformance kit catches defective connectors', () => {
  for (const m of mutants) {
    it(`fails "${m.scenario}…" when the transport ${m.name}`, async () => {
      const mutantBroker = createMemoryBroker({ defaultPartitions: 4 });
      try {
        const run = runConformanceScenario(scenario(m.scenario), {
          name: 'mutant',
          createTransport: () => defective(memoryTransport(mutantBroker), m.defect),
          waitTimeoutMs: 4_000,
          drainTimeoutMs: 500,
        });
        await expect(run).rejects.toThrow(m.error);
      } finally {
        await mutantBroker.close();
      }
    });
  }
});
