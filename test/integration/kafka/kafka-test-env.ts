// Shared helpers of the Kafka integration tests: the broker from global
// setup (or a skip reason), unique names, polling, a recording sink.
import { connect as netConnect } from 'node:net';
import { inject } from 'vitest';
import type { InboundRecord, OffsetLaneHandle, LaneId, SubscriptionSink } from '@partita/core';
import { kafkaTransport, type KafkaTransport, type KafkaTransportOptions } from '@partita/kafka';
import { brokersRequired, waitFor, type Condition } from '@partita/testing';

import type { KafkaTestBroker } from '../global-setup.js';

const kafka = inject('kafka' as never) as KafkaTestBroker | undefined;
/** `PARTITA_REQUIRE_BROKERS=1` (or `true`): no Kafka test may skip. */
export const required = brokersRequired();

/** Why Kafka tests skip here, or undefined when a broker is there. Throws when brokers are required. */
export const kafkaSkipReason: string | undefined = (() => {
  if (kafka?.brokers?.length) return undefined;
  const reason = kafka?.skip ?? 'global setup provided no Kafka broker';
  if (required) throw new Error(`PARTITA_REQUIRE_BROKERS is set but ${reason}`);
  console.warn(`[kafka tests] skipped: ${reason}`);
  return reason;
})();

export const brokers: string[] = kafka?.brokers ?? [];
export const saslBrokers: string[] = kafka?.saslBrokers ?? [];
export const saslCredentials = kafka?.sasl ?? { username: '', password: '' };
/** tools/kafka started the broker, so a test may kill and restart it. */
export const kafkaControllable = kafka?.controllable === true;

let n = 0;
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 36 ** 5).toString(36)}-${++n}`;
}

/** Fast group timeouts for tests (the broker allows sessions from 1 s). */
export const testTimeouts = {
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 500,
  rebalanceTimeoutMs: 10_000,
  maxWaitTimeMs: 200,
} as const;

export function testTransport(overrides: Partial<KafkaTransportOptions> = {}): KafkaTransport {
  return kafkaTransport({
    brokers,
    clientId: 'partita-test',
    partitions: 2,
    retryTiersMs: [500, 2_000],
    ...testTimeouts,
    ...overrides,
  });
}

/** Poll until `cond` is truthy (generous deadline; never a fixed sleep). */
export async function until<T>(cond: () => T | Promise<T>, what: string, timeoutMs = 60_000): Promise<NonNullable<T>> {
  return (await waitFor(cond as Condition<T>, { description: what, timeoutMs, intervalMs: 50 })) as NonNullable<T>;
}

export interface RecordedLane {
  readonly handle: OffsetLaneHandle;
  readonly records: InboundRecord[];
  revoked: boolean;
}

/** A SubscriptionSink that records lanes and records, for testing the transport without the runtime. */
export function recordingSink(onRevoke?: (id: LaneId) => Promise<void>) {
  const lanes: RecordedLane[] = [];
  const events: string[] = [];
  const key = (id: LaneId) => `${id.topic}/${id.partition}`;
  const sink: SubscriptionSink = {
    assigned(handle) {
      if (handle.ackModel !== 'offset') throw new Error(`kafka lanes are offset lanes, got ${handle.ackModel}`);
      const lane: RecordedLane = { handle, records: [], revoked: false };
      lanes.push(lane);
      events.push(`assigned ${key(handle.id)}`);
      return {
        deliver: (records) => {
          lane.records.push(...records);
        },
      };
    },
    async revoked(id) {
      events.push(`revoked ${key(id)}`);
      await onRevoke?.(id);
      for (const l of lanes) if (key(l.handle.id) === key(id) && !l.revoked) l.revoked = true;
    },
  };
  const live = () => lanes.filter((l) => !l.revoked);
  return {
    sink,
    lanes,
    events,
    live,
    lane: (topic: string, partition: number) =>
      live().find((l) => l.handle.id.topic === topic && l.handle.id.partition === partition),
    records: (topic?: string) => lanes.filter((l) => !topic || l.handle.id.topic === topic).flatMap((l) => l.records),
  };
}

/** A record value as text; a tombstone (null value) fails the test. */
export const text = (v: Uint8Array | null): string => {
  if (v === null) throw new Error('expected a value, got a tombstone (null)');
  return Buffer.from(v).toString('utf8');
};
export const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

/** A kafkajs socket factory that sends every broker connection to `proxy` (a single-broker cluster behind a TCP proxy). */
export function viaProxy(proxy: { host: string; port: number }) {
  return ({ onConnect }: { host: string; port: number; ssl: unknown; onConnect: () => void }) => {
    const socket = netConnect({ host: proxy.host, port: proxy.port }, onConnect);
    socket.setKeepAlive(true, 30_000);
    return socket;
  };
}
