import { defineHandler, hasAdmin } from '@partita/core';
import type { AdminTransport, App, BrowsedRecord, Transport } from '@partita/core';
import type { KitValue, ScenarioHarness } from '../conformance/scenario-harness.js';

/** A transport with the admin side, as `adminConformance`'s factory returns it. */
export type AdminKitTransport = Transport & AdminTransport;

/** A fresh transport from the connector, checked to have `admin`, connected; closed at cleanup. */
export async function adminTransport(h: ScenarioHarness, label: string): Promise<AdminKitTransport> {
  const t = await h.transport(label);
  if (!hasAdmin(t))
    throw new TypeError(
      `adminConformance: createTransport must return a transport with "admin" (core's TransportAdmin); "${t.name}" has none`,
    );
  await t.connect();
  return t;
}

/** The kit value a browsed record carries (the apps publish JSON). */
export function kitValue(r: BrowsedRecord): KitValue {
  if (r.value === null) throw new Error(`record ${r.partition}:${r.position} of "${r.topic}" has no value`);
  return JSON.parse(new TextDecoder().decode(r.value)) as KitValue;
}

/** A topic holding records one group has not consumed yet, and the means to let it catch up. */
export interface Backlog {
  readonly topic: string;
  readonly group: string;
  /** The transport whose `admin` the scenario checks; it also published the records. */
  readonly admin: AdminKitTransport;
  /** Ids in publish order. */
  readonly ids: readonly string[];
  /** Ids of the records with key `k` (one partition), in publish order. */
  readonly keyed: readonly string[];
  /** Ids the group handled so far, in order. */
  readonly handled: string[];
  /** Start the group again: it consumes the backlog. */
  resume(): Promise<App>;
}

/**
 * Subscribe a group to a fresh topic (waiting until it owns every partition
 * `topics()` reports) and stop it, so it exists on every broker (queue
 * brokers keep a queue per group); then publish `n` records
 * through the admin transport: even ones with key `k`, odd ones with keys of
 * their own, each with header `x-kit: admin`.
 */
export async function backlog(h: ScenarioHarness, base: string, n: number): Promise<Backlog> {
  const topic = await h.topic(base);
  await h.prepare(`${topic}.dlq`);
  const group = h.name(`${base}-group`);
  const handled: string[] = [];
  const handler = defineHandler<KitValue>({ name: group, topic, handle: (m) => void handled.push(m.value.id) });
  const admin = await adminTransport(h, 'admin');
  const first = await h.app('group', [handler]);
  await h.lanes(first);
  // the only member owns every partition: wait for all of them, so the broker settled its subscription
  const partitions = (await admin.admin.topics()).find((t) => t.name === topic)?.partitions ?? 1;
  await h.lanes(first, partitions);
  await first.stop({ drainTimeoutMs: h.options.drainTimeoutMs });
  const publisher = await h.app('publisher', [], { transport: admin });
  const ids = Array.from({ length: n }, (_, i) => `${base}-${i}`);
  const key = (i: number): string => (i % 2 === 0 ? 'k' : `o-${i}`);
  await publisher.publish(
    ids.map((id, i) => ({ topic, key: key(i), value: { id, n: i }, headers: { 'x-kit': 'admin' } })),
  );
  return {
    topic,
    group,
    admin,
    ids,
    keyed: ids.filter((_, i) => key(i) === 'k'),
    handled,
    resume: async () => {
      const app = await h.app('group-again', [handler]);
      await h.lanes(app);
      return app;
    },
  };
}
