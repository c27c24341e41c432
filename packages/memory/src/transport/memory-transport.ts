import {
  ClosedError,
  ConfigError,
  type HealthReport,
  type InboundRecord,
  type OffsetLaneHandle,
  type LaneId,
  type LaneSink,
  type OutboundRecord,
  type Subscription,
  type SubscriptionSink,
  type SubscriptionSpec,
  type Transport,
  type TransportCapabilities,
} from '@partita/core';
import { posKey, type MemoryBroker } from '../broker/memory-broker.js';
import { parseOffset } from '../broker/record-validation.js';
import type { GroupMember } from '../group/group-coordinator.js';
import type { Partition } from '../log/partition.js';

/** Options of `memoryTransport`. */
export interface MemoryTransportOptions {
  /** Most records per `deliver` call. @defaultValue 1000 */
  readonly maxBatch?: number;
  /** Receives errors thrown by a lane sink or a revocation. @defaultValue console.error */
  readonly onError?: (err: unknown, where: string) => void;
}

const CAPABILITIES: TransportCapabilities = Object.freeze({
  ackModel: 'offset',
  partitions: true,
  consumerGroups: true,
  nativeDelay: true,
  priority: true,
  ttl: true,
  replay: true,
});

/** One assigned lane: delivers from `cursor` in batches on `setImmediate`, never re-entrantly. */
class Lane {
  private scheduled = false;
  private paused = false;
  active = true;
  sink: LaneSink | undefined;
  private readonly unlisten: () => void;
  private readonly key: string;

  constructor(
    readonly id: LaneId,
    private readonly broker: MemoryBroker,
    private readonly part: Partition,
    private cursor: number,
    private readonly maxBatch: number,
    private readonly onError: (err: unknown, where: string) => void,
  ) {
    this.key = posKey(id.group, id.topic, id.partition);
    broker.positions.set(this.key, cursor);
    this.unlisten = part.listen(() => this.schedule());
  }

  schedule(): void {
    if (this.scheduled || !this.active || this.paused || !this.sink) return;
    this.scheduled = true;
    setImmediate(this.run);
  }

  private readonly run = (): void => {
    this.scheduled = false;
    if (!this.active || this.paused || this.broker.isClosed) return;
    const res = this.part.read(this.cursor, this.maxBatch);
    this.cursor = res.next;
    this.broker.positions.set(this.key, res.next);
    if (res.records.length > 0) {
      try {
        this.sink!.deliver(res.records as readonly InboundRecord[]);
      } catch (err) {
        this.onError(err, 'deliver');
      }
    }
    if (this.part.hasData(this.cursor)) this.schedule();
  };

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.schedule();
  }

  stop(): void {
    this.active = false;
    this.unlisten();
  }
}

/**
 * A core `Transport` over a `MemoryBroker`. Each `subscribe` joins the
 * group as a new member; the group's partitions are split round-robin among
 * members (of every transport sharing the broker). Close the transport before
 * the broker; the broker may outlive it.
 */
export function memoryTransport(broker: MemoryBroker, options: MemoryTransportOptions = {}): Transport {
  if (!broker || typeof (broker as MemoryBroker).publish !== 'function' || !('coordinator' in broker))
    throw new ConfigError('memoryTransport(broker): broker must come from createMemoryBroker()');
  if (options === null || typeof options !== 'object')
    throw new ConfigError('memoryTransport(broker, options): options must be an object');
  const maxBatch = options.maxBatch ?? 1000;
  if (!Number.isInteger(maxBatch) || maxBatch < 1)
    throw new ConfigError(`option "maxBatch" must be a positive integer, got ${String(maxBatch)}`);
  const onError =
    options.onError ?? ((err: unknown, where: string) => console.error(`[partita/memory] ${where} failed`, err));
  const subscriptions = new Set<Subscription>();
  let closed = false;
  let closing: Promise<void> | undefined;

  const assertOpen = (): void => {
    if (closed) throw new ClosedError('the memory transport is closed');
    if (broker.isClosed) throw new ClosedError('the memory broker is closed');
  };

  /** Lanes this transport owns, for the broker lag of each in `health().details.lanes`. */
  const owned = new Map<Lane, LaneId>();
  /** Records of each owned lane past its group's committed offset (the broker's lag). */
  function ownedLag(): { group: string; topic: string; partition: number; lag: number }[] {
    const groups = broker.stats().groups;
    const rows: { group: string; topic: string; partition: number; lag: number }[] = [];
    for (const id of owned.values()) {
      const g = groups.find((x) => x.group === id.group && x.topic === id.topic);
      const p = g?.partitions.find((x) => x.partition === id.partition);
      if (p) rows.push({ group: id.group, topic: id.topic, partition: id.partition, lag: p.lag });
    }
    return rows;
  }

  async function subscribe(spec: SubscriptionSpec, sink: SubscriptionSink): Promise<Subscription> {
    assertOpen();
    if (!spec || typeof spec.group !== 'string' || spec.group === '')
      throw new TypeError('subscribe(spec): spec.group must be a non-empty string');
    if (typeof spec.topic !== 'string' || spec.topic === '')
      throw new TypeError('subscribe(spec): spec.topic must be a non-empty string');
    const topic = broker.topic(spec.topic);
    const lanes = new Map<number, Lane>();
    let member: GroupMember | undefined;
    const joined = broker.coordinator.join(spec.group, spec.topic, {
      assign(partition, epoch) {
        const part = topic.partitions[partition]!;
        const c = broker.coordinator.committed(spec.group, spec.topic, partition);
        const start = c ? c.offset : spec.startFrom === 'latest' ? part.end : part.base;
        const id: LaneId = { group: spec.group, topic: spec.topic, partition };
        const lane = new Lane(id, broker, part, start, maxBatch, onError);
        lanes.set(partition, lane);
        owned.set(lane, id);
        const handle: OffsetLaneHandle = {
          ackModel: 'offset',
          id,
          committedMetadata: c?.metadata,
          pause: () => lane.pause(),
          resume: () => lane.resume(),
          async commit(nextOffset: string, metadata?: string): Promise<boolean> {
            const off = parseOffset(nextOffset, 'nextOffset');
            if (broker.isClosed || !member) return false;
            if (!broker.coordinator.commitOwned(member, partition, epoch, off, metadata)) return false;
            if (broker.durable) await broker.durable.flush();
            return true;
          },
        };
        lane.sink = sink.assigned(handle);
        lane.schedule();
      },
      async revoke(partition) {
        const lane = lanes.get(partition);
        if (!lane) return;
        lane.stop();
        try {
          await sink.revoked(lane.id);
        } finally {
          lanes.delete(partition);
          owned.delete(lane);
        }
      },
    });
    member = joined.member;
    broker.coordinator.onError = onError;
    let subClosing: Promise<void> | undefined;
    const sub: Subscription = {
      close() {
        subClosing ??= (async () => {
          await joined.ready.catch(() => {});
          await broker.coordinator.leave(joined.member);
          subscriptions.delete(sub);
        })();
        return subClosing;
      },
    };
    subscriptions.add(sub);
    await joined.ready;
    return sub;
  }

  return {
    name: 'memory',
    capabilities: CAPABILITIES,
    async connect() {
      assertOpen();
    },
    publish(records: readonly OutboundRecord[]): Promise<void> {
      if (closed) return Promise.reject(new ClosedError('the memory transport is closed'));
      return broker.publish(records);
    },
    subscribe,
    async health(): Promise<HealthReport> {
      if (closed) return { status: 'down', reasons: ['transport closed'] };
      const report = broker.health();
      return owned.size === 0 ? report : { ...report, details: { ...report.details, lanes: ownedLag() } };
    },
    close() {
      closing ??= (async () => {
        closed = true;
        await Promise.all([...subscriptions].map((s) => s.close()));
      })();
      return closing;
    },
  };
}
