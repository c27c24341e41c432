import {
  ClosedError,
  ComponentLogger,
  type AdminTransport,
  ConfigError,
  type AttachContext,
  type Logger,
  type HealthReport,
  type OutboundRecord,
  type Subscription,
  type SubscriptionSink,
  type SubscriptionSpec,
  type Transport,
  type TransportAdmin,
  type TransportCapabilities,
} from '@partita/core';
import { MemoryAdmin } from '../admin/memory-admin.js';
import type { MemoryBroker } from '../broker/memory-broker.js';
import { MemorySubscription } from './memory-subscription.js';

/** Options of `memoryTransport`. */
export interface MemoryTransportOptions {
  /** Most records per `deliver` call. @defaultValue 1000 */
  readonly maxBatch?: number;
  /**
   * Receives the transport's lines (errors thrown by a lane sink or a
   * revocation) with `component: 'memory'`.
   * @defaultValue the logger of the app it runs for (`attach`), else `defaultLogger()`
   */
  readonly logger?: Logger;
  /** Receives errors thrown by a lane sink or a revocation instead of `logger`. @defaultValue `logger.error` */
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

/** The `Transport` of `memoryTransport`: see there. */
export class MemoryTransport implements Transport, AdminTransport {
  readonly name = 'memory';
  readonly capabilities = CAPABILITIES;
  /** Topics, lag, browse and purge of the broker (see `MemoryAdmin`); throws `ClosedError` once the transport is closed. */
  readonly admin: TransportAdmin;
  private readonly subscriptions = new Set<MemorySubscription>();
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly onError: (err: unknown, where: string) => void;

  constructor(
    private readonly broker: MemoryBroker,
    private readonly maxBatch: number,
    private readonly logs: ComponentLogger,
    onError: ((err: unknown, where: string) => void) | undefined,
  ) {
    this.onError =
      onError ?? ((err, where) => this.logs.logger.error({ err, where }, `memory transport: ${where} failed`));
    this.admin = new MemoryAdmin(broker, () => this.assertOpen());
  }

  attach(context: AttachContext): void {
    this.logs.attach(context);
  }

  connect(): Promise<void> {
    return Promise.resolve().then(() => this.assertOpen());
  }

  publish(records: readonly OutboundRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError('the memory transport is closed'));
    return this.broker.publish(records);
  }

  async subscribe(spec: SubscriptionSpec, sink: SubscriptionSink): Promise<Subscription> {
    this.assertOpen();
    if (!spec || typeof spec.group !== 'string' || spec.group === '')
      throw new TypeError('subscribe(spec): spec.group must be a non-empty string');
    if (typeof spec.topic !== 'string' || spec.topic === '')
      throw new TypeError('subscribe(spec): spec.topic must be a non-empty string');
    const topic = this.broker.topic(spec.topic);
    const sub = new MemorySubscription(this.broker, spec, topic, sink, this.maxBatch, this.onError, (s) =>
      this.subscriptions.delete(s),
    );
    this.subscriptions.add(sub);
    await sub.ready;
    return sub;
  }

  health(): Promise<HealthReport> {
    if (this.closed) return Promise.resolve({ status: 'down', reasons: ['transport closed'] });
    return Promise.resolve().then(() => {
      const report = this.broker.health();
      const lanes = this.ownedLag();
      return lanes.length === 0 ? report : { ...report, details: { ...report.details, lanes } };
    });
  }

  /** Records of each lane this transport owns past its group's committed offset (the broker's lag). */
  private ownedLag(): { group: string; topic: string; partition: number; lag: number }[] {
    const owned = [...this.subscriptions].flatMap((s) => s.ownedLanes);
    if (owned.length === 0) return [];
    const groups = this.broker.stats().groups;
    const rows: { group: string; topic: string; partition: number; lag: number }[] = [];
    for (const id of owned) {
      const g = groups.find((x) => x.group === id.group && x.topic === id.topic);
      const p = g?.partitions.find((x) => x.partition === id.partition);
      if (p) rows.push({ group: id.group, topic: id.topic, partition: id.partition, lag: p.lag });
    }
    return rows;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      await Promise.all([...this.subscriptions].map((s) => s.close()));
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('the memory transport is closed');
    if (this.broker.isClosed) throw new ClosedError('the memory broker is closed');
  }
}

/**
 * A core `Transport` over a `MemoryBroker`. Each `subscribe` joins the
 * group as a new member; the group's partitions are split round-robin among
 * members (of every transport sharing the broker). Close the transport before
 * the broker; the broker may outlive it. `transport.admin` is the operator's
 * side (topics, lag, browse, purge) that `redriveDeadLetters`, the CLI and the
 * dashboard use.
 */
export function memoryTransport(
  broker: MemoryBroker,
  options: MemoryTransportOptions = {},
): Transport & AdminTransport {
  if (!broker || typeof broker.publish !== 'function' || !('coordinator' in broker))
    throw new ConfigError('memoryTransport(broker): broker must come from createMemoryBroker()');
  if (options === null || typeof options !== 'object')
    throw new ConfigError('memoryTransport(broker, options): options must be an object');
  const maxBatch = options.maxBatch ?? 1000;
  if (!Number.isInteger(maxBatch) || maxBatch < 1)
    throw new ConfigError(`option "maxBatch" must be a positive integer, got ${String(maxBatch)}`);
  if (options.onError !== undefined && typeof options.onError !== 'function')
    throw new ConfigError('memoryTransport: option "onError" must be a function (err, where) => void');
  const logs = new ComponentLogger('memoryTransport', 'memory', options.logger);
  return new MemoryTransport(broker, maxBatch, logs, options.onError);
}
