import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import {
  ClosedError,
  ComponentLogger,
  redact,
  systemClock,
  type AttachContext,
  type Clock,
  type HealthReport,
  type OutboundRecord,
  type Subscription,
  type SubscriptionSink,
  type SubscriptionSpec,
  type Transport,
  type TransportAdmin,
  type TransportCapabilities,
} from '@partita/core';
import { NatsTransportAdmin } from '../admin/nats-transport-admin.js';
import { assertOpen, openConnection, redactServers, type ConnectionState } from '../connection/nats-connection.js';
import { CoreLane } from '../consumer/core-lane.js';
import { ensureDurable } from '../consumer/durable-consumer.js';
import { HandbackLedger } from '../consumer/handback-ledger.js';
import { JetStreamLane } from '../consumer/jetstream-lane.js';
import { mapNatsError } from '../errors/map-nats-error.js';
import { toNatsHeaders, toNatsPayload } from '../headers/record-headers.js';
import {
  natsSecrets,
  resolveNatsOptions,
  type NatsTransportOptions,
  type ResolvedNatsOptions,
} from '../options/nats-transport-options.js';
import { JetStreamPublisher } from '../publish/jetstream-publisher.js';
import { NatsSubscription } from './nats-subscription.js';
import { assertTopic, StreamProvisioner } from '../stream/stream-provisioner.js';

const JETSTREAM_CAPABILITIES: TransportCapabilities = Object.freeze({
  ackModel: 'message',
  partitions: false,
  consumerGroups: true,
  nativeDelay: true,
  priority: false,
  ttl: false,
  replay: true,
});
const CORE_CAPABILITIES: TransportCapabilities = Object.freeze({
  ackModel: 'message',
  partitions: false,
  consumerGroups: true,
  nativeDelay: false,
  priority: false,
  ttl: false,
  replay: false,
});

interface Connected {
  readonly conn: ConnectionState & { close(): Promise<void> };
  readonly js: JetStreamClient | undefined;
  readonly jsm: JetStreamManager | undefined;
  readonly streams: StreamProvisioner | undefined;
  readonly publisher: JetStreamPublisher | undefined;
  readonly handbacks: HandbackLedger | undefined;
}

/** A NATS transport with partita's admin side. */
export interface NatsTransport extends Transport {
  /** Topics (subjects), lag, browsing and purge for the `partita` CLI and the dashboard (README, "Admin"). */
  readonly admin: TransportAdmin;
}

/**
 * NATS connector. JetStream mode (default) is at-least-once: a stream per
 * topic, a durable pull consumer per group, explicit acks. Core mode is
 * fire-and-forget (at-most-once) over queue subscriptions.
 */
class NatsTransportImpl implements NatsTransport {
  readonly name = 'nats';
  readonly capabilities: TransportCapabilities;
  readonly admin: TransportAdmin;
  private connecting: Promise<Connected> | undefined;
  private closing: Promise<void> | undefined;
  private readonly subs = new Set<NatsSubscription>();
  private readonly clock: Clock;

  constructor(
    private readonly o: ResolvedNatsOptions,
    clock: Clock | undefined,
    private readonly logs: ComponentLogger,
  ) {
    this.capabilities = o.mode === 'core' ? CORE_CAPABILITIES : JETSTREAM_CAPABILITIES;
    this.clock = clock ?? systemClock;
    this.admin = new NatsTransportAdmin(async () => (await this.connected()).jsm, o.streamPrefix);
  }

  attach(context: AttachContext): void {
    this.logs.attach(context);
  }

  async connect(): Promise<void> {
    await this.connected();
  }

  private connected(): Promise<Connected> {
    assertOpen(this.closing !== undefined, 'connect');
    if (!this.connecting) {
      this.connecting = (async (): Promise<Connected> => {
        const conn = await openConnection(this.o, this.logs.logger);
        if (this.o.mode === 'core')
          return {
            conn,
            js: undefined,
            jsm: undefined,
            streams: undefined,
            publisher: undefined,
            handbacks: undefined,
          };
        try {
          const jsm = await jetstreamManager(conn.nc, { timeout: this.o.publishTimeoutMs });
          const js = jetstream(conn.nc, { timeout: this.o.publishTimeoutMs });
          const streams = new StreamProvisioner(jsm, this.o);
          const handbacks = new HandbackLedger(jsm, js, this.o.streamPrefix, this.o.storage);
          return {
            conn,
            js,
            jsm,
            streams,
            publisher: new JetStreamPublisher(js, conn, streams, this.o, this.clock),
            handbacks,
          };
        } catch (err) {
          await conn.close().catch(() => undefined);
          throw mapNatsError(err, 'enable JetStream');
        }
      })();
      this.connecting.catch(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  async publish(records: readonly OutboundRecord[]): Promise<void> {
    assertOpen(this.closing !== undefined, 'publish');
    if (records.length === 0) return;
    const c = await this.connected();
    if (this.closing !== undefined) throw new ClosedError('publish: the NATS transport is closed');
    if (c.publisher) return c.publisher.publish(records);
    try {
      for (const r of records) {
        assertTopic(r.topic);
        const h = toNatsHeaders({ ...r, delayMs: undefined }, this.clock.now());
        c.conn.nc.publish(r.topic, toNatsPayload(r), h ? { headers: h } : undefined);
      }
      await c.conn.nc.flush();
    } catch (err) {
      throw mapNatsError(err, 'publish (core NATS)', undefined, c.conn.nc.info?.max_payload);
    }
  }

  async subscribe(spec: SubscriptionSpec, sink: SubscriptionSink): Promise<Subscription> {
    assertOpen(this.closing !== undefined, 'subscribe');
    assertTopic(spec.topic);
    const c = await this.connected();
    const id = { group: spec.group, topic: spec.topic, partition: 0 };
    let lane: JetStreamLane | CoreLane;
    let stream: string | undefined;
    let durable: string | undefined;
    if (c.js && c.jsm && c.streams) {
      stream = await c.streams.streamFor(spec.topic);
      const settings = await ensureDurable(c.jsm, stream, spec, this.o);
      durable = settings.durable;
      const consumer = await c.js.consumers.get(stream, durable).catch((err: unknown) => {
        throw mapNatsError(err, `bind consumer "${settings.durable}"`, spec.topic);
      });
      lane = new JetStreamLane(consumer, c.conn.nc, {
        id,
        maxInFlight: spec.maxInFlight,
        ackWaitMs: settings.ackWaitMs,
        pullExpiresMs: this.o.pullExpiresMs,
        confirmAcks: this.o.confirmAcks,
        clock: this.clock,
        stream,
        durable,
        maxAttempts: spec.maxAttempts,
        maxDeliver: settings.maxDeliver,
        handbacks: c.handbacks,
      });
    } else {
      lane = new CoreLane(c.conn.nc, id, this.o.coreBufferLimit, this.clock);
    }
    lane.start(sink.assigned(lane));
    const sub = new NatsSubscription(lane, spec, stream, durable, sink, (s) => this.subs.delete(s));
    this.subs.add(sub);
    return sub;
  }

  /** Health with every secret of the options redacted (reasons may quote client errors). */
  async health(): Promise<HealthReport> {
    return redact(await this.rawHealth(), { secrets: natsSecrets(this.o) });
  }

  private async rawHealth(): Promise<HealthReport> {
    const reasons: string[] = [];
    const details: Record<string, unknown> = { mode: this.o.mode, servers: redactServers(this.o.servers) };
    if (this.closing) return { status: 'down', reasons: ['transport closed'], details };
    let c: Connected;
    try {
      c = await this.connected();
    } catch (err) {
      return { status: 'down', reasons: [`cannot connect: ${(err as Error).message}`], details };
    }
    if (c.conn.nc.isClosed()) return { status: 'down', reasons: ['connection closed'], details };
    if (c.conn.disconnected) reasons.push('disconnected from NATS; reconnecting');
    details.reconnects = c.conn.reconnects;
    if (c.publisher) details.bufferedPublishBytes = c.publisher.buffered;
    const lanes: Record<string, unknown>[] = [];
    for (const s of this.subs) {
      const row: Record<string, unknown> = {
        group: s.spec.group,
        topic: s.spec.topic,
        stream: s.stream,
        consumer: s.durable,
        paused: s.lane.isPaused,
        unsettled: s.lane.unsettledCount,
        delivered: s.lane.delivered,
      };
      if (s.lane instanceof CoreLane) row.dropped = s.lane.dropped;
      if (s.lane instanceof JetStreamLane && s.lane.lastError) {
        reasons.push(`pull on "${s.spec.topic}" failing: ${s.lane.lastError}`);
      }
      if (c.jsm && s.stream && s.durable && !c.conn.disconnected) {
        try {
          const info = await c.jsm.consumers.info(s.stream, s.durable);
          row.lag = info.num_pending + info.num_ack_pending;
          row.numPending = info.num_pending;
          row.numAckPending = info.num_ack_pending;
          row.numRedelivered = info.num_redelivered;
        } catch (err) {
          reasons.push(`consumer info "${s.durable}" failed: ${(err as Error).message}`);
        }
      }
      lanes.push(row);
    }
    details.lanes = lanes;
    return { status: reasons.length > 0 ? 'degraded' : 'ok', reasons, details };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.subs].map((s) => s.close()));
      const c = await this.connecting?.catch(() => undefined);
      await c?.conn.close().catch(() => undefined);
    })();
    return this.closing;
  }
}

/**
 * Create a NATS transport. Connects lazily (or on `connect()`); options are
 * validated here, so a bad option throws at once.
 */
export function natsTransport(options: NatsTransportOptions = {}): NatsTransport {
  const resolved = resolveNatsOptions(options);
  const logs = new ComponentLogger('natsTransport', 'nats', options.logger, { secrets: natsSecrets(resolved) });
  return new NatsTransportImpl(resolved, options.clock, logs);
}
