import { GetQueueAttributesCommand, SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import {
  ClosedError,
  ComponentLogger,
  redact,
  type AdminTransport,
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
import { SqsAdmin } from '../admin/sqs-admin.js';
import { SqsLane } from '../consumer/sqs-lane.js';
import { mapSqsError } from '../errors/map-sqs-error.js';
import {
  resolveSqsOptions,
  sqsSecrets,
  visibilityFor,
  type ResolvedSqsOptions,
  type SqsTransportOptions,
} from '../options/sqs-options.js';
import { SqsPublisher } from '../publish/sqs-publisher.js';
import { QueueDirectory, type QueueRef } from '../queues/queue-directory.js';

const CAPABILITIES: TransportCapabilities = Object.freeze({
  ackModel: 'message',
  partitions: false,
  consumerGroups: true,
  nativeDelay: true,
  priority: false,
  ttl: false,
  replay: false,
});

/** SQS's highest `maxReceiveCount`. */
const MAX_RECEIVE_COUNT = 1000;

interface LiveSub {
  readonly lane: SqsLane;
  readonly spec: SubscriptionSpec;
  readonly queue: QueueRef;
  close(): Promise<void>;
}

/**
 * SQS connector (message ack model). A queue per (topic, group): FIFO with
 * `MessageGroupId` = key for ordering `key`/`partition`, standard for `none`.
 * A publish goes to every group queue of the topic. See the package README.
 */
export class SqsTransport implements Transport, AdminTransport {
  readonly name = 'sqs';
  readonly capabilities = CAPABILITIES;
  /** Topics, lag, browse and purge from the queues (see `SqsAdmin`); rejects with `ClosedError` once closed. */
  readonly admin: TransportAdmin;
  private readonly client: SQSClient;
  private readonly ownsClient: boolean;
  private readonly queues: QueueDirectory;
  private readonly publisher: SqsPublisher;
  private readonly secrets: readonly string[];
  private readonly subs = new Set<LiveSub>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly o: ResolvedSqsOptions,
    private readonly clock: Clock,
    private readonly logs: ComponentLogger,
  ) {
    this.secrets = sqsSecrets(o);
    this.ownsClient = o.client === undefined;
    this.client = o.client ?? new SQSClient(clientConfig(o));
    this.queues = new QueueDirectory(this.client, {
      prefix: o.queuePrefix,
      dlqSuffix: o.dlqSuffix,
      cacheMs: o.queueCacheMs,
      secrets: this.secrets,
      clock,
    });
    this.publisher = new SqsPublisher(this.client, this.queues, o.publishConcurrency, this.secrets);
    this.admin = new SqsAdmin({
      client: this.client,
      prefix: o.queuePrefix,
      dlqSuffix: o.dlqSuffix,
      secrets: this.secrets,
      assertOpen: (what) => this.assertOpen(what),
    });
  }

  attach(context: AttachContext): void {
    this.logs.attach(context);
  }

  private assertOpen(what: string): void {
    if (this.closing) throw new ClosedError(`${what}: the SQS transport is closed`);
  }

  /** SQS is HTTP: there is no connection to open. Resolves at once (idempotent). */
  connect(): Promise<void> {
    try {
      this.assertOpen('connect');
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async publish(records: readonly OutboundRecord[]): Promise<void> {
    this.assertOpen('publish');
    if (records.length === 0) return;
    await this.publisher.publish(records);
    if (this.closing) throw new ClosedError('publish: the SQS transport closed while publishing');
  }

  async subscribe(spec: SubscriptionSpec, sink: SubscriptionSink): Promise<Subscription> {
    this.assertOpen('subscribe');
    const fifo = (spec.ordering ?? 'key') !== 'none';
    const maxReceiveCount = Math.min(MAX_RECEIVE_COUNT, spec.maxAttempts + this.o.redriveMargin);
    const queue = await this.queues.ensureGroupQueue(spec.topic, spec.group, fifo, maxReceiveCount);
    this.assertOpen('subscribe');
    const id = { group: spec.group, topic: spec.topic, partition: 0 };
    const lane = new SqsLane(this.client, {
      id,
      queueUrl: queue.url,
      queueName: queue.name,
      fifo,
      maxInFlight: spec.maxInFlight,
      maxReceives: this.o.maxReceives ?? Math.min(10, Math.ceil(spec.maxInFlight / 10)),
      waitTimeSeconds: this.o.waitTimeSeconds,
      visibilitySeconds: visibilityFor(this.o, spec.timeoutMs),
      maxAttempts: spec.maxAttempts,
      maxReceiveCount,
      secrets: this.secrets,
      clock: this.clock,
      log: this.logs.logger.child({ group: spec.group, topic: spec.topic }),
    });
    lane.start(sink.assigned(lane));
    let closed: Promise<void> | undefined;
    const live: LiveSub = {
      lane,
      spec,
      queue,
      close: () => {
        closed ??= (async () => {
          await lane.stopPulling();
          try {
            await sink.revoked(id);
          } finally {
            await lane.release();
            this.subs.delete(live);
          }
        })();
        return closed;
      },
    };
    this.subs.add(live);
    return { close: () => live.close() };
  }

  /**
   * Create the queue of (topic, group) now, as `subscribe` would, so it
   * receives what is published from now on, before any member runs (SQS
   * keeps messages per group queue: a publish reaches the groups whose queue
   * exists). `ordering` picks FIFO or standard as for a handler.
   */
  async createGroupQueue(
    topic: string,
    group: string,
    options: { readonly ordering?: 'key' | 'partition' | 'none'; readonly maxAttempts?: number } = {},
  ): Promise<string> {
    this.assertOpen('createGroupQueue');
    const fifo = (options.ordering ?? 'key') !== 'none';
    const maxReceiveCount = Math.min(MAX_RECEIVE_COUNT, (options.maxAttempts ?? 5) + this.o.redriveMargin);
    return (await this.queues.ensureGroupQueue(topic, group, fifo, maxReceiveCount)).name;
  }

  /** Health with the lanes' queue attributes (visible, in flight, delayed); secrets redacted. */
  async health(): Promise<HealthReport> {
    return redact(await this.rawHealth(), { secrets: [...this.secrets] });
  }

  private async rawHealth(): Promise<HealthReport> {
    const details: Record<string, unknown> = { endpoint: this.o.endpoint ?? 'AWS', region: this.o.region };
    if (this.closing) return { status: 'down', reasons: ['transport closed'], details };
    const reasons: string[] = [];
    const lanes: Record<string, unknown>[] = [];
    for (const s of this.subs) {
      const row: Record<string, unknown> = {
        group: s.spec.group,
        topic: s.spec.topic,
        queue: s.queue.name,
        fifo: s.queue.fifo,
        paused: s.lane.isPaused,
        held: s.lane.heldCount,
        delivered: s.lane.delivered,
      };
      if (s.lane.lastError) reasons.push(`receive on "${s.spec.topic}" failing: ${s.lane.lastError}`);
      try {
        const res = await this.client.send(
          new GetQueueAttributesCommand({
            QueueUrl: s.queue.url,
            AttributeNames: [
              'ApproximateNumberOfMessages',
              'ApproximateNumberOfMessagesNotVisible',
              'ApproximateNumberOfMessagesDelayed',
            ],
          }),
        );
        const a = res.Attributes ?? {};
        row.visible = Number(a.ApproximateNumberOfMessages ?? 0);
        row.inFlight = Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
        row.delayed = Number(a.ApproximateNumberOfMessagesDelayed ?? 0);
      } catch (err) {
        reasons.push(
          `queue attributes of "${s.queue.name}" failed: ${mapSqsError(err, 'health', this.secrets).message}`,
        );
      }
      lanes.push(row);
    }
    details.lanes = lanes;
    const down = lanes.length > 0 && reasons.length >= lanes.length && lanes.every((l) => l.visible === undefined);
    return { status: down ? 'down' : reasons.length > 0 ? 'degraded' : 'ok', reasons, details };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.subs].map((s) => s.close()));
      if (this.ownsClient) this.client.destroy();
    })();
    return this.closing;
  }
}

/**
 * The connector's own client. Its HTTP agents have no socket cap (the SDK's
 * default is 50 per host): every lane keeps up to `maxReceives` long polls
 * open for up to `waitTimeSeconds`, and with a capped pool those would hold
 * every socket while deletes, visibility changes and publishes queue behind
 * them (five lanes of ten receives did). The connector bounds its own
 * requests: receives per lane, publishes per call, one delete per 10 acks.
 */
function clientConfig(o: ResolvedSqsOptions): SQSClientConfig {
  const agent = { keepAlive: true, maxSockets: Infinity };
  return {
    requestHandler: { httpAgent: agent, httpsAgent: agent },
    // With an explicit endpoint, every request goes there (not to the host in a queue URL): a proxy in front works.
    ...(o.endpoint ? { endpoint: o.endpoint, useQueueUrlAsEndpoint: false } : {}),
    ...(o.region ? { region: o.region } : o.endpoint && !process.env.AWS_REGION ? { region: 'us-east-1' } : {}),
    ...(o.credentials ? { credentials: { ...o.credentials } } : {}),
  };
}

/**
 * Create an SQS transport. Options are validated here (a bad option throws a
 * `ConfigError` at once); nothing is sent before `publish` or `subscribe`.
 */
export function sqsTransport(options: SqsTransportOptions = {}): SqsTransport {
  const resolved = resolveSqsOptions(options);
  const logs = new ComponentLogger('sqsTransport', 'sqs', options.logger, { secrets: sqsSecrets(resolved) });
  return new SqsTransport(resolved, options.clock ?? systemClock, logs);
}
