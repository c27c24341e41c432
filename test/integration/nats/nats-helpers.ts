import { randomBytes } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { InboundRecord, MessageLaneHandle, LaneId, SubscriptionSink } from '@partita/core';
import { brokersRequired, REQUIRE_BROKERS_ENV } from '@partita/testing';

export const NATS_URL = process.env.PARTITA_NATS_SERVERS ?? 'nats://127.0.0.1:4222';

/** True when something answers on host:port within 2 s. */
export function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(2000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Whether the machine's NATS is up; prints why tests skip, throws when brokers are required. */
export async function natsAvailable(): Promise<boolean> {
  const u = new URL(NATS_URL);
  const ok = await reachable(u.hostname, Number(u.port || 4222));
  if (!ok) {
    const msg = `NATS not reachable at ${NATS_URL}`;
    if (brokersRequired()) throw new Error(`${msg} and ${REQUIRE_BROKERS_ENV}=${process.env[REQUIRE_BROKERS_ENV]}`);
    console.warn(`skipping NATS integration tests: ${msg}`);
  }
  return ok;
}

/**
 * Whether a test needing `what` (a binary, a controllable server) may run; when
 * it is missing, prints why it skips, or throws when brokers are required
 * (`PARTITA_REQUIRE_BROKERS=1|true`): then nothing skips.
 */
export function requireOrSkip(present: boolean, what: string): boolean {
  if (present) return true;
  if (brokersRequired())
    throw new Error(`${what} is missing and ${REQUIRE_BROKERS_ENV}=${process.env[REQUIRE_BROKERS_ENV]}`);
  console.warn(`skipping: ${what} is missing`);
  return false;
}

export function uniq(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Poll until `cond` is truthy, or throw naming `what`. */
export async function waitFor<T>(cond: () => T | Promise<T>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Delete the streams capturing these topics (best effort). */
export async function deleteStreamsFor(topics: readonly string[], servers = NATS_URL): Promise<void> {
  const nc = await connect({ servers });
  try {
    const jsm = await jetstreamManager(nc);
    for (const t of topics) {
      const name = await jsm.streams.find(t).catch(() => undefined);
      if (name) await jsm.streams.delete(name).catch(() => undefined);
    }
  } finally {
    await nc.close();
  }
}

export interface RecordingSink extends SubscriptionSink {
  readonly lanes: MessageLaneHandle[];
  readonly records: InboundRecord[];
  readonly revokedLanes: LaneId[];
  lane(): MessageLaneHandle;
}

/** The runtime's side of the SPI, recording what the connector delivers. `onRecords` may settle. */
export function recordingSink(
  onRecords?: (lane: MessageLaneHandle, records: readonly InboundRecord[]) => void,
): RecordingSink {
  const sink: RecordingSink = {
    lanes: [],
    records: [],
    revokedLanes: [],
    lane() {
      const l = sink.lanes[0];
      if (!l) throw new Error('no lane assigned');
      return l;
    },
    assigned(lane) {
      if (lane.ackModel !== 'message') throw new Error(`JetStream lanes are message lanes, got ${lane.ackModel}`);
      sink.lanes.push(lane);
      return {
        deliver(records) {
          sink.records.push(...records);
          onRecords?.(lane, records);
        },
      };
    },
    async revoked(id) {
      sink.revokedLanes.push(id);
    },
  };
  return sink;
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
/** A record value as text; a tombstone (null value) fails the test. */
export const dec = (b: Uint8Array | null): string => {
  if (b === null) throw new Error('expected a value, got a tombstone (null)');
  return new TextDecoder().decode(b);
};
