import {
  ClosedError,
  ComponentLogger,
  DLQ_HEADERS,
  type AdminTransport,
  RETRY_HEADERS,
  redact,
  systemClock,
  validateTopicName,
  type AttachContext,
  type Clock,
  type HealthReport,
  type InboundRecord,
  type OutboundRecord,
  type Subscription,
  type SubscriptionSink,
  type SubscriptionSpec,
  type Transport,
  type TransportAdmin,
  type TransportCapabilities,
} from '@partita/core';
import { RabbitAdmin } from '../admin/rabbitmq-admin.js';
import { registryQueue, TopologyRegistry } from '../admin/topology-registry.js';
import { randomBytes } from 'node:crypto';
import { RabbitConnection, redactUrls } from '../connection/rabbit-connection.js';
import { GroupMember, type PartitionHealth } from '../consumer/group-member.js';
import type { DelayedCopy } from '../consumer/rabbit-lane.js';
import {
  rabbitSecrets,
  resolveRabbitMqOptions,
  type RabbitMqTransportOptions,
  type ResolvedRabbitMqOptions,
} from '../options/rabbitmq-transport-options.js';
import { ConfirmPublisher } from '../publish/confirm-publisher.js';
import { deliveryLimitFor } from '../topology/provision-rabbitmq.js';
import { Topology } from '../topology/topology.js';

const CAPABILITIES: TransportCapabilities = Object.freeze({
  ackModel: 'message',
  partitions: true,
  consumerGroups: true,
  nativeDelay: true,
  priority: false,
  ttl: false,
  replay: false,
});

/** Exchange and queue names derive from topics and may be 255 bytes: topics keep room for the suffixes. */
const TOPIC_RULES = { broker: 'RabbitMQ', maxBytes: 200 } as const;

interface Connected {
  readonly conn: RabbitConnection;
  readonly topology: Topology;
  readonly publisher: ConfirmPublisher;
  readonly registry: TopologyRegistry;
}

/**
 * RabbitMQ connector (amqplib + amqp-connection-manager). At-least-once:
 * publisher confirms, manual acks, per-key order across a group through
 * partition queues with a single active consumer each (see `Topology`,
 * `GroupMember`, `PartitionConsumer`).
 */
class RabbitMqTransport implements Transport, AdminTransport {
  readonly name = 'rabbitmq';
  readonly capabilities = CAPABILITIES;
  /** Topics, lag, browse and purge (see `RabbitAdmin`); rejects with `ClosedError` once the transport is closed. */
  readonly admin: TransportAdmin;
  /** Topics this transport published to or subscribed, with the groups it subscribed (for the admin). */
  private readonly touched = new Map<string, Set<string>>();
  private connecting: Promise<Connected> | undefined;
  private closing: Promise<void> | undefined;
  private readonly members = new Set<GroupMember>();
  private readonly memberId = randomBytes(6).toString('base64url');

  constructor(
    private readonly o: ResolvedRabbitMqOptions,
    private readonly clock: Clock,
    private readonly logs: ComponentLogger,
  ) {
    this.admin = new RabbitAdmin({
      connected: () => this.connected(),
      dlqSuffix: o.dlqSuffix,
      local: () => this.touched,
      unsettled: (topic, group, partition) => {
        let n = 0;
        for (const m of this.members)
          if (m.spec.topic === topic && m.spec.group === group)
            n += m.consumers.find((c) => c.partition === partition)?.laneStats?.unsettled ?? 0;
        return n;
      },
    });
  }

  attach(context: AttachContext): void {
    this.logs.attach(context);
  }

  async connect(): Promise<void> {
    await this.connected();
  }

  private assertOpen(what: string): void {
    if (this.closing) throw new ClosedError(`${what}: the RabbitMQ transport is closed`);
  }

  private connected(): Promise<Connected> {
    this.assertOpen('connect');
    if (!this.connecting) {
      this.connecting = (async () => {
        const conn = new RabbitConnection(this.o, this.logs.logger);
        try {
          await conn.ready();
        } catch (err) {
          await conn.close();
          throw err;
        }
        const registry = new TopologyRegistry(conn, registryQueue(this.o));
        const topology = new Topology(conn, this.o, this.o.declare ? registry : undefined);
        return { conn, topology, registry, publisher: new ConfirmPublisher(conn, topology, this.o, this.clock) };
      })();
      this.connecting.catch(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  async publish(records: readonly OutboundRecord[]): Promise<void> {
    this.assertOpen('publish');
    if (records.length === 0) return;
    for (const r of records) validateTopicName(r.topic, TOPIC_RULES);
    for (const r of records) if (!this.touched.has(r.topic)) this.touched.set(r.topic, new Set());
    const c = await this.connected();
    this.assertOpen('publish');
    await c.publisher.publish(records);
  }

  async subscribe(spec: SubscriptionSpec, sink: SubscriptionSink): Promise<Subscription> {
    this.assertOpen('subscribe');
    validateTopicName(spec.topic, TOPIC_RULES);
    const c = await this.connected();
    const deliveryLimit = deliveryLimitFor(this.o.deliveryLimit, spec.maxAttempts);
    await c.topology.ensureGroup(spec.topic, spec.group, deliveryLimit);
    this.assertOpen('subscribe');
    const groups = this.touched.get(spec.topic) ?? new Set<string>();
    this.touched.set(spec.topic, groups.add(spec.group));
    const member = new GroupMember(c.conn, {
      spec,
      sink,
      topology: c.topology,
      clock: this.clock,
      rebalanceIntervalMs: this.o.rebalanceIntervalMs,
      probeIntervalMs: this.o.probeIntervalMs,
      confirmAcks: this.o.confirmAcks,
      delayedCopy: (topic, group, partition) => this.delayedCopy(c, topic, group, partition),
      probe: (queue) => c.publisher.probe(queue, this.memberId),
    });
    this.members.add(member);
    member.start();
    let closed: Promise<void> | undefined;
    return {
      close: () => {
        closed ??= member.close().finally(() => this.members.delete(member));
        return closed;
      },
    };
  }

  /**
   * A delayed retry of `record`: a copy through the topic's wait queue of the
   * delay's tier, back into the same partition, carrying the next attempt and
   * the failing group (other groups settle it unhandled) and where the record
   * was first published.
   */
  private delayedCopy(c: Connected, topic: string, group: string, partition: number): DelayedCopy {
    return async (record: InboundRecord, delayMs: number) => {
      const headers: Record<string, string> = { ...record.headers };
      const attempt = Number(record.headers[RETRY_HEADERS.attempt] ?? record.deliveryCount ?? 1) || 1;
      headers[RETRY_HEADERS.attempt] = String(attempt + 1);
      headers[RETRY_HEADERS.targetGroup] = group;
      headers[DLQ_HEADERS.topic] ??= topic;
      headers[DLQ_HEADERS.partition] ??= String(partition);
      headers[DLQ_HEADERS.offset] ??= record.offset;
      if (record.key !== undefined) headers[DLQ_HEADERS.key] ??= record.key;
      await c.publisher.publish([
        {
          topic,
          ...(record.key !== undefined ? { key: record.key } : {}),
          value: record.value,
          headers,
          partition,
          delayMs: Math.max(1, delayMs),
        },
      ]);
    };
  }

  /** Health with every secret of the options redacted. */
  async health(): Promise<HealthReport> {
    return redact(await this.rawHealth(), { secrets: rabbitSecrets({ urls: this.o.urls }) });
  }

  private async rawHealth(): Promise<HealthReport> {
    const details: Record<string, unknown> = { urls: redactUrls(this.o.urls), queueType: this.o.queueType };
    if (this.closing) return { status: 'down', reasons: ['transport closed'], details };
    let c: Connected;
    try {
      c = await this.connected();
    } catch (err) {
      return { status: 'down', reasons: [`cannot connect: ${(err as Error).message}`], details };
    }
    const reasons: string[] = [];
    details.connected = !c.conn.disconnected;
    details.reconnects = c.conn.reconnects;
    details.queuedPublishes = c.publisher.queued;
    if (c.conn.disconnected)
      reasons.push(`disconnected from RabbitMQ; reconnecting${c.conn.lastError ? ` (${c.conn.lastError})` : ''}`);
    const subscriptions: Record<string, unknown>[] = [];
    for (const m of this.members) {
      // A blackholed connection answers nothing until its heartbeat gives up: health does not wait for it.
      const [parts, members] = c.conn.disconnected
        ? [[], undefined]
        : await withDeadline(Promise.all([m.health(), m.members()]), this.o.connectTimeoutMs).catch(
            (err: unknown): [PartitionHealth[], undefined] => {
              reasons.push(`subscription "${m.spec.topic}": ${(err as Error).message}`);
              return [[], undefined];
            },
          );
      for (const p of parts) if (p.error !== undefined) reasons.push(`partition queue "${p.queue}": ${p.error}`);
      subscriptions.push({
        group: m.spec.group,
        topic: m.spec.topic,
        members,
        activePartitions: m.activePartitions(),
        partitions: parts,
      });
    }
    details.subscriptions = subscriptions;
    return { status: reasons.length > 0 ? 'degraded' : 'ok', reasons, details };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.members].map((m) => m.close()));
      const c = await this.connecting?.catch(() => undefined);
      if (c) {
        await c.publisher.close();
        await c.conn.close();
      }
    })();
    return this.closing;
  }
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`RabbitMQ did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Create a RabbitMQ transport. Connects lazily (or on `connect()`); options
 * are validated here, so a bad option throws at once.
 */
export function rabbitmqTransport(options: RabbitMqTransportOptions = {}): Transport & AdminTransport {
  const resolved = resolveRabbitMqOptions(options);
  const logs = new ComponentLogger('rabbitmqTransport', 'rabbitmq', options.logger, {
    secrets: rabbitSecrets(resolved),
  });
  return new RabbitMqTransport(resolved, options.clock ?? systemClock, logs);
}
