/**
 * A minimal in-process transport for unit-testing the runtime in virtual
 * time: N partitions per topic, one member (every partition assigned), batch
 * delivery on setImmediate, pause/resume, commits recorded. The real embedded
 * broker is @partita/memory; this fixture exists so core's tests depend on
 * nothing but core.
 */
import type {
  InboundRecord,
  LaneHandle,
  MessageLaneHandle,
  OffsetLaneHandle,
  LaneSink,
  OutboundRecord,
  Subscription,
  SubscriptionSink,
  SubscriptionSpec,
  Transport,
} from '../src/index.js';
import { ClosedError } from '../src/index.js';

interface Part {
  log: InboundRecord[];
}
interface Lane {
  handle: LaneHandle & { paused: boolean };
  sink: LaneSink;
  next: number;
  part: Part;
  scheduled: boolean;
  owned: boolean;
}

export interface LaneTransport extends Transport {
  /** Offset commits, and message-model settlements (with their outcome). */
  readonly commits: { topic: string; partition: number; offset: string; metadata?: string; outcome?: 'ack' | 'term' }[];
  readonly published: OutboundRecord[];
  committed(topic: string, partition: number): number;
  /** Make the next `n` publishes to `topic` fail. */
  failPublishes(topic: string, n: number): void;
  /** Make the next `n` commits fail. */
  failCommits(n: number): void;
  /** Message model: make the next `n` settle calls fail. */
  failSettles(n: number): void;
  /** Message model with `nativeDelay`: make the next `n` nacks fail. */
  failNacks(n: number): void;
  /** Message model with `nativeDelay`: every nack, in order (the record is redelivered at once with `deliveryCount + 1`). */
  readonly nacks: { offset: string; delayMs: number }[];
  log(topic: string, partition: number): readonly InboundRecord[];
  revokeAll(): Promise<void>;
}

export function createLaneTransport(
  options: {
    partitions?: number;
    ackModel?: 'offset' | 'message';
    nativeDelay?: boolean;
    batch?: number;
    now?: () => number;
  } = {},
): LaneTransport {
  const partitions = options.partitions ?? 1;
  const batch = options.batch ?? 500;
  const now = options.now ?? Date.now;
  const topics = new Map<string, Part[]>();
  const lanes: Lane[] = [];
  const offsets = new Map<string, { offset: number; metadata?: string }>();
  const failing = new Map<string, number>();
  let commitFailures = 0;
  let settleFailures = 0;
  let nackFailures = 0;
  const nacks: LaneTransport['nacks'] = [];
  let closed = false;
  const commits: LaneTransport['commits'] = [];
  const published: OutboundRecord[] = [];
  const parts = (topic: string): Part[] => {
    let p = topics.get(topic);
    if (!p) topics.set(topic, (p = Array.from({ length: partitions }, () => ({ log: [] }))));
    return p;
  };
  const hash = (key: string): number => {
    let h = 0;
    for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
    return h % partitions;
  };
  let rr = 0;
  const schedule = (lane: Lane): void => {
    if (lane.scheduled || !lane.owned) return;
    lane.scheduled = true;
    setImmediate(() => {
      lane.scheduled = false;
      if (!lane.owned || lane.handle.paused || lane.next >= lane.part.log.length) return;
      const records = lane.part.log.slice(lane.next, lane.next + batch);
      lane.next += records.length;
      lane.sink.deliver(records);
      schedule(lane);
    });
  };
  const t: LaneTransport = {
    name: 'lane-fixture',
    capabilities: {
      ackModel: options.ackModel ?? 'offset',
      partitions: true,
      consumerGroups: false,
      nativeDelay: options.nativeDelay ?? false,
      priority: false,
      ttl: false,
      replay: true,
    },
    commits,
    published,
    nacks,
    async connect() {},
    async publish(records) {
      if (closed) throw new ClosedError('publish: transport closed');
      for (const r of records) {
        const n = failing.get(r.topic) ?? 0;
        if (n > 0) {
          failing.set(r.topic, n - 1);
          throw new Error(`injected publish failure to ${r.topic}`);
        }
      }
      for (const r of records) {
        published.push(r);
        const ps = parts(r.topic);
        const p = r.partition ?? (r.key !== undefined ? hash(r.key) : rr++ % partitions);
        const log = ps[p]!.log;
        log.push({ key: r.key, value: r.value, headers: r.headers, offset: String(log.length), timestamp: now() });
      }
      for (const lane of lanes) schedule(lane);
    },
    async subscribe(spec: SubscriptionSpec, sink: SubscriptionSink): Promise<Subscription> {
      const mine: Lane[] = [];
      parts(spec.topic).forEach((part, partition) => {
        const stored = offsets.get(`${spec.group}/${spec.topic}/${partition}`);
        const lane: Lane = {
          handle: undefined as never,
          sink: undefined as never,
          next: stored?.offset ?? 0,
          part,
          scheduled: false,
          owned: true,
        };
        const id = { group: spec.group, topic: spec.topic, partition };
        const flow = {
          paused: false,
          pause() {
            lane.handle.paused = true;
          },
          resume() {
            lane.handle.paused = false;
            schedule(lane);
          },
        };
        const offsetHandle: OffsetLaneHandle = {
          ackModel: 'offset',
          id,
          ...flow,
          async commit(nextOffset, metadata) {
            if (!lane.owned) return false;
            if (commitFailures > 0) {
              commitFailures--;
              throw new Error('injected commit failure');
            }
            offsets.set(`${spec.group}/${spec.topic}/${partition}`, {
              offset: Number(nextOffset),
              ...(metadata ? { metadata } : {}),
            });
            commits.push({ topic: spec.topic, partition, offset: nextOffset, ...(metadata ? { metadata } : {}) });
            return true;
          },
          ...(stored?.metadata ? { committedMetadata: stored.metadata } : {}),
        };
        const messageHandle: MessageLaneHandle = {
          ackModel: 'message',
          id,
          ...flow,
          async settle(records, outcome) {
            if (!lane.owned) return;
            if (settleFailures > 0) {
              settleFailures--;
              throw new Error('injected settle failure');
            }
            for (const r of records) commits.push({ topic: spec.topic, partition, offset: r.offset, outcome });
          },
          async nack(record, delayMs) {
            if (!options.nativeDelay) throw new Error('lane-fixture: nack needs nativeDelay');
            if (!lane.owned) return;
            if (nackFailures > 0) {
              nackFailures--;
              throw new Error('injected nack failure');
            }
            nacks.push({ offset: record.offset, delayMs });
            part.log.push({
              ...record,
              offset: String(part.log.length),
              deliveryCount: (record.deliveryCount ?? 1) + 1,
            });
            schedule(lane);
          },
        };
        lane.handle = Object.assign((options.ackModel ?? 'offset') === 'message' ? messageHandle : offsetHandle, {
          paused: false,
        });
        lane.sink = sink.assigned(lane.handle);
        lanes.push(lane);
        mine.push(lane);
        schedule(lane);
      });
      let closing: Promise<void> | undefined;
      return {
        close: () =>
          (closing ??= (async () => {
            await Promise.all(mine.map((l) => sink.revoked(l.handle.id)));
            for (const l of mine) l.owned = false;
          })()),
      };
    },
    async health() {
      return { status: 'ok', reasons: [] };
    },
    async close() {
      closed = true;
    },
    committed: (topic, partition) => {
      for (const [k, v] of offsets) if (k.endsWith(`/${topic}/${partition}`)) return v.offset;
      return 0;
    },
    failPublishes: (topic, n) => void failing.set(topic, n),
    failCommits: (n) => void (commitFailures = n),
    failSettles: (n) => void (settleFailures = n),
    failNacks: (n) => void (nackFailures = n),
    log: (topic, partition) => parts(topic)[partition]!.log,
    async revokeAll() {
      for (const l of lanes) l.owned = false;
    },
  };
  return t;
}
