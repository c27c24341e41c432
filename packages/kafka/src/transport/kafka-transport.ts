import kafkajs from 'kafkajs';
import type {
  Admin,
  Kafka as KafkaClient,
  Message as KafkaMessage,
  Producer,
  SASLOptions,
  TopicMessages,
} from 'kafkajs';
import type {
  HealthReport,
  OutboundRecord,
  Subscription,
  SubscriptionSink,
  SubscriptionSpec,
  Transport,
  TransportAdmin,
  TransportCapabilities,
} from '@partita/core';
import { ClosedError, redact, type AttachContext } from '@partita/core';
import { KafkaTransportAdmin } from '../admin/kafka-transport-admin.js';
import { kafkajsLevel, kafkajsLogCreator } from '../logging/kafkajs-log-creator.js';
import { mapKafkaError } from '../errors/map-kafka-error.js';
import {
  resolveKafkaOptions,
  type KafkaTransportOptions,
  type ResolvedKafkaOptions,
} from '../options/kafka-options.js';
import { DELIVER_AT_HEADER, retryTopicName, retryTopics, tierFor } from '../topics/retry-tiers.js';
import { TopicProvisioner } from '../topics/topic-provisioner.js';
import { KafkaSubscription } from '../subscription/kafka-subscription.js';
import { ProduceQueue, type PublishBatch } from './produce-queue.js';

const { Kafka, Partitioners } = kafkajs;

/** A Kafka `Transport` with partita's admin side and access to its kafkajs admin client (for tests and tools). */
export interface KafkaTransport extends Transport {
  /** Topics, lag, browsing and purge for the `partita` CLI and the dashboard (see the README, "Admin"). */
  readonly admin: TransportAdmin;
  /** The kafkajs admin client of this transport (connected on first use). */
  kafkaAdmin(): Promise<Admin>;
}

/**
 * The Kafka connector on kafkajs 2.2.4 (docs/design.md §6): offset ack model, one lane
 * per assigned partition, commit metadata, retry-tier topics for native
 * delay, idempotent producer with acks=all by default. See the README for the
 * options and the lane mapping.
 */
export function kafkaTransport(options: KafkaTransportOptions): KafkaTransport {
  const opts = resolveKafkaOptions(options);
  return new KafkaTransportImpl(opts);
}

class KafkaTransportImpl implements KafkaTransport {
  readonly name = 'kafka';
  readonly capabilities: TransportCapabilities;
  readonly admin: TransportAdmin;
  private client: KafkaClient | undefined;
  private readonly provisioner: TopicProvisioner;
  private readonly subscriptions = new Set<KafkaSubscription>();
  private producer: Producer | undefined;
  /** Publishes through the producer: folded while one is in flight when it is idempotent (see `ProduceQueue`). */
  private produce: { publish(batch: PublishBatch): Promise<void> } | undefined;
  private adminClient: Admin | undefined;
  private connecting: Promise<void> | undefined;
  private adminConnecting: Promise<Admin> | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: ResolvedKafkaOptions) {
    this.capabilities = {
      ackModel: 'offset',
      partitions: true,
      consumerGroups: true,
      nativeDelay: opts.retryTiersMs.length > 0,
      priority: false,
      ttl: false,
      replay: true,
    };
    this.admin = new KafkaTransportAdmin(
      () => this.kafka,
      () => this.kafkaAdmin(),
    );
    this.provisioner = new TopicProvisioner(() => this.kafkaAdmin(), {
      provision: opts.provisionTopics,
      partitions: opts.partitions,
      replicationFactor: opts.replicationFactor,
    });
  }

  attach(context: AttachContext): void {
    this.opts.logs.attach(context);
  }

  /**
   * The kafkajs client, made on first use (after `attach`), so kafkajs logs
   * at the level of the logger in use then.
   */
  private get kafka(): KafkaClient {
    const opts = this.opts;
    return (this.client ??= new Kafka({
      clientId: opts.clientId,
      brokers: [...opts.brokers],
      ssl: opts.ssl as never,
      ...(opts.socketFactory ? { socketFactory: opts.socketFactory } : {}),
      ...(opts.sasl ? { sasl: { ...opts.sasl } as SASLOptions } : {}),
      connectionTimeout: opts.connectionTimeoutMs,
      requestTimeout: opts.requestTimeoutMs,
      retry: {
        retries: opts.retry.retries,
        initialRetryTime: opts.retry.initialRetryTimeMs,
        maxRetryTime: opts.retry.maxRetryTimeMs,
      },
      logLevel: kafkajsLevel(opts.logs.logger.level),
      logCreator: kafkajsLogCreator(() => opts.logs.logger),
    }));
  }

  connect(): Promise<void> {
    if (this.closing) return Promise.reject(new ClosedError('the kafka transport is closed'));
    this.connecting ??= (async () => {
      const producer = this.kafka.producer({
        // kafkajs 2's default, the Java client's murmur2 partitioner, named: unnamed, kafkajs warns at
        // every producer that its default changed in 2.0.0 (a line in every app's log).
        createPartitioner: Partitioners.DefaultPartitioner,
        idempotent: this.opts.idempotent,
        maxInFlightRequests: this.opts.idempotent ? 1 : 5,
        allowAutoTopicCreation: false,
      });
      try {
        await producer.connect();
      } catch (err) {
        this.connecting = undefined;
        throw mapKafkaError(err, 'connect');
      }
      this.producer = producer;
      const acks = this.opts.acks;
      const send = (topicMessages: TopicMessages[]): Promise<void> =>
        producer.sendBatch({ acks, topicMessages }).then(() => undefined);
      // kafkajs' idempotent producer sends one request at a time anyway; otherwise up to five go out at once.
      this.produce = this.opts.idempotent
        ? new ProduceQueue(send, (err) => mapKafkaError(err, 'publish').retryable)
        : { publish: (batch) => send([...batch.topicMessages]) };
    })();
    return this.connecting;
  }

  kafkaAdmin(): Promise<Admin> {
    if (this.closing) return Promise.reject(new ClosedError('the kafka transport is closed'));
    this.adminConnecting ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
      } catch (err) {
        this.adminConnecting = undefined;
        throw mapKafkaError(err, 'admin connect');
      }
      this.adminClient = admin;
      return admin;
    })();
    return this.adminConnecting;
  }

  async publish(records: readonly OutboundRecord[]): Promise<void> {
    if (this.closing) throw new ClosedError('the kafka transport is closed');
    if (records.length === 0) return;
    await this.connect();
    const byTopic = new Map<string, KafkaMessage[]>();
    const now = this.opts.clock.now();
    let bytes = 0;
    for (const r of records) {
      const delayed = r.delayMs !== undefined && r.delayMs > 0 && this.capabilities.nativeDelay;
      const topic = delayed ? retryTopicName(r.topic, tierFor(r.delayMs, this.opts.retryTiersMs)) : r.topic;
      const headers: Record<string, string | Buffer> = { ...r.headers };
      // The byte form of a key or header (an inbound record's, copied by the runtime) wins over its string form.
      const rawHeaders = r.raw?.headers;
      if (rawHeaders) for (const name of Object.keys(rawHeaders)) headers[name] = toBuffer(rawHeaders[name]!);
      if (delayed) headers[DELIVER_AT_HEADER] = String(now + r.delayMs);
      // A null value is a tombstone: Kafka's record with no value at all.
      const value = r.value === null ? null : toBuffer(r.value);
      const key = r.raw?.key !== undefined ? toBuffer(r.raw.key) : (r.key ?? null);
      const msg: KafkaMessage = { key, value, headers };
      bytes += recordBytes(msg);
      if (r.partition !== undefined && !delayed) msg.partition = r.partition;
      let list = byTopic.get(topic);
      if (!list) byTopic.set(topic, (list = []));
      list.push(msg);
    }
    const topics = [...byTopic.keys()];
    await this.provisioner.ensure(topics);
    if (this.closing) throw new ClosedError('the kafka transport is closed');
    try {
      await this.produce!.publish({
        topicMessages: topics.map((topic) => ({ topic, messages: byTopic.get(topic)! })),
        bytes,
      });
    } catch (err) {
      if (this.closing) throw new ClosedError('the kafka transport closed during publish', { cause: err });
      const mapped = mapKafkaError(err, `publish to ${topics.join(', ')}`, topics[0]);
      if (mapped.code === 'ERR_TOPIC_NOT_FOUND') for (const t of topics) this.provisioner.forget(t);
      throw mapped;
    }
  }

  async subscribe(spec: SubscriptionSpec, sink: SubscriptionSink): Promise<Subscription> {
    if (this.closing) throw new ClosedError('the kafka transport is closed');
    const tiers = this.capabilities.nativeDelay ? retryTopics(spec.topic, this.opts.retryTiersMs) : [];
    const provisioned = [spec.topic, ...tiers, ...(this.opts.dlqSuffix ? [spec.topic + this.opts.dlqSuffix] : [])];
    if (this.opts.provisionTopics) {
      await this.provisioner.ensure(provisioned);
    } else {
      await this.provisioner.ensure([spec.topic]);
    }
    let tierTopics = tiers;
    if (!this.opts.provisionTopics && tiers.length > 0) {
      const existing = new Set(await (await this.kafkaAdmin()).listTopics());
      tierTopics = tiers.filter((t) => existing.has(t));
    }
    const sub = new KafkaSubscription(
      this.kafka,
      () => this.kafkaAdmin(),
      spec,
      sink,
      this.opts,
      [spec.topic, ...tierTopics],
      tierTopics,
      (s) => this.subscriptions.delete(s),
    );
    await sub.start();
    this.subscriptions.add(sub);
    return sub;
  }

  /** Health with secrets (the SASL password, credentials in any quoted error) redacted. */
  async health(): Promise<HealthReport> {
    return redact(await this.healthReport(), { secrets: [this.opts.sasl?.password] });
  }

  private async healthReport(): Promise<HealthReport> {
    if (this.closing) return { status: 'down', reasons: ['the kafka transport is closed'] };
    const reasons: string[] = [];
    let admin: Admin;
    let brokers: number;
    try {
      admin = await this.kafkaAdmin();
      brokers = (await admin.describeCluster()).brokers.length;
    } catch (err) {
      return {
        status: 'down',
        reasons: [`broker metadata unreachable: ${mapKafkaError(err, 'describeCluster').message}`],
      };
    }
    const lanes: Record<string, unknown>[] = [];
    for (const sub of this.subscriptions) {
      if (sub.crashed) reasons.push(`consumer crashed: ${String((sub.crashed as Error)?.message ?? sub.crashed)}`);
      const owned = sub.lanes();
      const byTopic = new Map<string, (typeof owned)[number][]>();
      for (const l of owned) byTopic.set(l.kafkaTopic, [...(byTopic.get(l.kafkaTopic) ?? []), l]);
      for (const [topic, ls] of byTopic) {
        try {
          const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.high]));
          for (const l of ls) {
            const high = ends.get(l.partition);
            const committed = l.committed;
            const lag =
              high !== undefined && committed !== undefined ? Number(BigInt(high) - BigInt(committed)) : undefined;
            lanes.push({ group: l.id.group, topic, partition: l.partition, committed, highWatermark: high, lag });
          }
        } catch (err) {
          reasons.push(`offsets of ${topic} unavailable: ${mapKafkaError(err, 'fetchTopicOffsets', topic).message}`);
        }
      }
    }
    return { status: reasons.length > 0 ? 'degraded' : 'ok', reasons, details: { brokers, lanes } };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.subscriptions].map((s) => s.close().catch(() => {})));
      this.subscriptions.clear();
      await this.connecting?.catch(() => {});
      await this.producer?.disconnect().catch(() => {});
      await this.adminConnecting?.catch(() => {});
      await this.adminClient?.disconnect().catch(() => {});
    })();
    return this.closing;
  }
}

/** A view of `bytes` as a Buffer (no copy). */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A record's size on the wire, roughly: value, key, headers and Kafka's per-record overhead. */
function recordBytes(msg: KafkaMessage): number {
  let n = 64 + byteLength(msg.value) + byteLength(msg.key);
  const headers = msg.headers as Record<string, string | Buffer>;
  for (const name of Object.keys(headers)) n += name.length + byteLength(headers[name]);
  return n;
}

const byteLength = (v: string | Buffer | null | undefined): number =>
  v == null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;
