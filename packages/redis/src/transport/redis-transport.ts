import { Cluster } from 'ioredis';
import {
  ClosedError,
  ComponentLogger,
  ConfigError,
  type AdminTransport,
  optionError,
  partitionForKey,
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
import { RedisAdmin, streamGroups } from '../admin/redis-admin.js';
import { mapRedisError } from '../errors/map-redis-error.js';
import { assertRedisGroup, assertRedisTopic, RedisKeys } from '../keys/redis-keys.js';
import { RedisLane } from '../lane/redis-lane.js';
import { GroupMembership } from '../lease/group-membership.js';
import {
  redisSecrets,
  resolveRedisOptions,
  type RedisTransportOptions,
  type ResolvedRedisOptions,
} from '../options/redis-options.js';
import { toFields } from '../record/record-fields.js';
import { ScriptRunner } from '../scripts/script-runner.js';
import { logConnectionEvents } from './connection-events.js';
import { LaneReaders } from './lane-readers.js';
import { createClusterClient, createRedisClient, type RedisClient } from './redis-connection.js';

const CAPABILITIES: TransportCapabilities = Object.freeze({
  ackModel: 'message',
  partitions: true,
  consumerGroups: true,
  nativeDelay: true,
  priority: false,
  ttl: false,
  replay: true,
});

interface Connected {
  readonly cmd: RedisClient;
  readonly scripts: ScriptRunner;
  readonly readers: LaneReaders;
}

/**
 * Redis Streams connector (message model). A topic is `partitions` streams;
 * a consumer group per handler group; the members of a group split the
 * partitions through leases in Redis, one lane per owned partition, so order
 * per key holds across the whole group. See the package README.
 */
class RedisTransport implements Transport, AdminTransport {
  readonly name = 'redis';
  readonly capabilities = CAPABILITIES;
  /** Topics, lag, browse and purge (see `RedisAdmin`); rejects with `ClosedError` once the transport is closed. */
  readonly admin: TransportAdmin;
  private readonly keys: RedisKeys;
  private readonly clock: Clock;
  private readonly secrets: string[];
  private connecting: Promise<Connected> | undefined;
  private closing: Promise<void> | undefined;
  private readonly memberships = new Set<GroupMembership>();
  private readonly lanes = new Set<RedisLane>();
  private readonly partitionCounts = new Map<string, Promise<number>>();
  private roundRobin = 0;
  private lastError: string | undefined;

  constructor(
    private readonly o: ResolvedRedisOptions,
    clock: Clock | undefined,
    private readonly logs: ComponentLogger,
  ) {
    this.keys = new RedisKeys(o.keyPrefix);
    this.clock = clock ?? systemClock;
    this.secrets = redisSecrets({ url: o.url, password: o.password });
    this.admin = new RedisAdmin({
      keys: this.keys,
      cmd: async () => (await this.connected()).cmd,
      mapError: (err, what) => this.mapError(err, what),
    });
  }

  attach(context: AttachContext): void {
    this.logs.attach(context);
  }

  private assertOpen(what: string): void {
    if (this.closing !== undefined) throw new ClosedError(`${what}: the Redis transport is closed`);
  }

  /** A client with its events logged: the command client (a Cluster in cluster mode), or a lane's reader. */
  private client<C extends RedisClient>(name: string, create: () => C): C {
    const c = create();
    logConnectionEvents(c, this.logs.logger.child({ client: name }), () => this.closing !== undefined);
    c.on('error', (err: unknown) => {
      this.lastError = redact(err instanceof Error ? err.message : String(err), { secrets: this.secrets });
    });
    return c;
  }

  async connect(): Promise<void> {
    await this.connected();
  }

  private connected(): Promise<Connected> {
    this.assertOpen('connect');
    if (!this.connecting) {
      this.connecting = (async (): Promise<Connected> => {
        const name = `partita:${this.o.consumerName}`;
        const cmd: RedisClient =
          this.o.cluster === undefined
            ? this.client(name, () => createRedisClient(this.o, name, { autoPipelining: true }))
            : this.client(name, () => createClusterClient(this.o, name));
        try {
          await cmd.connect();
        } catch (err) {
          cmd.disconnect();
          throw this.mapError(err, 'connect');
        }
        const readers = new LaneReaders(
          this.o,
          (n, create) => this.client(n, create),
          cmd instanceof Cluster ? cmd : undefined,
        );
        return { cmd, scripts: new ScriptRunner(cmd), readers };
      })();
      this.connecting.catch(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  /** An error with every secret of the options redacted from its message. */
  private mapError(err: unknown, what: string): Error {
    const e = mapRedisError(err, what);
    e.message = redact(e.message, { secrets: this.secrets });
    return e;
  }

  /** The partition count of a topic: recorded in Redis on first use, the same for every member. */
  private partitionsOf(c: Connected, topic: string): Promise<number> {
    let p = this.partitionCounts.get(topic);
    if (!p) {
      p = (async () => {
        const key = this.keys.meta(topic);
        await c.cmd.hsetnx(key, 'partitions', String(this.o.partitions));
        const stored = Number(await c.cmd.hget(key, 'partitions'));
        if (stored !== this.o.partitions && this.o.partitionsGiven) {
          throw optionError(
            'redisTransport',
            'partitions',
            `${stored} for topic "${topic}", which was created with ${stored} partitions (repartitioning is not supported)`,
            this.o.partitions,
          );
        }
        return stored;
      })();
      this.partitionCounts.set(topic, p);
      p.catch(() => this.partitionCounts.delete(topic));
    }
    return p;
  }

  async publish(records: readonly OutboundRecord[]): Promise<void> {
    this.assertOpen('publish');
    if (records.length === 0) return;
    const c = await this.connected();
    this.assertOpen('publish');
    const sends: Promise<unknown>[] = [];
    // Each topic's name checked and partition count looked up once per call, not once per record (a
    // batch is mostly one topic: the check and an await per record were a tenth of a publisher's CPU).
    const counts = new Map<string, number>();
    for (const r of records) {
      let n = counts.get(r.topic);
      if (n === undefined) {
        assertRedisTopic(r.topic);
        n = await this.partitionsOf(c, r.topic).catch((err: unknown) => {
          throw err instanceof ConfigError ? err : this.mapError(err, `partitions of "${r.topic}"`);
        });
        counts.set(r.topic, n);
      }
      const p = this.partitionOf(r, n);
      const fields = toFields(r);
      const stream = this.keys.stream(r.topic, p);
      if (r.topic.endsWith(this.o.dlqSuffix)) {
        // The dead-letter stream's own slot; the runtime acks the source entry once this copy is confirmed.
        sends.push(
          c.scripts.deadLetter(
            [stream],
            [String(this.o.deadLetterMaxLen), String(this.o.deadLetterMaxAgeMs), ...fields],
          ),
        );
      } else if (r.delayMs !== undefined && r.delayMs > 0) {
        sends.push(
          c.scripts.delay(
            [stream, this.keys.delayed(r.topic, p), this.keys.delayedData(r.topic, p)],
            [
              '',
              '',
              String(Math.round(r.delayMs)),
              `${this.o.consumerName}.${Date.now()}.${this.roundRobin++}`,
              ...fields,
            ],
          ),
        );
      } else {
        sends.push(c.cmd.xadd(stream, '*', ...fields));
      }
    }
    const results = await Promise.allSettled(sends);
    const failed = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (failed) {
      if (this.closing) throw new ClosedError('publish: the Redis transport is closed', { cause: failed.reason });
      throw this.mapError(failed.reason, `publish to "${records[0]!.topic}"`);
    }
  }

  private partitionOf(r: OutboundRecord, n: number): number {
    if (r.partition !== undefined) {
      if (!Number.isInteger(r.partition) || r.partition < 0 || r.partition >= n)
        throw new ConfigError(`publish: partition ${r.partition} of topic "${r.topic}" does not exist (it has ${n})`);
      return r.partition;
    }
    if (n === 1) return 0;
    if (r.key !== undefined) return partitionForKey(r.key, n);
    this.roundRobin = (this.roundRobin + 1) % n;
    return this.roundRobin;
  }

  async subscribe(spec: SubscriptionSpec, sink: SubscriptionSink): Promise<Subscription> {
    this.assertOpen('subscribe');
    assertRedisTopic(spec.topic);
    assertRedisGroup(spec.group);
    const c = await this.connected();
    const partitions = await this.partitionsOf(c, spec.topic);
    const start = spec.startFrom === 'latest' ? '$' : '0';
    try {
      await Promise.all(
        Array.from({ length: partitions }, (_, p) =>
          c.cmd
            .xgroup('CREATE', this.keys.stream(spec.topic, p), spec.group, start, 'MKSTREAM')
            .catch((err: unknown) => {
              if (!/BUSYGROUP/.test(String((err as Error)?.message))) throw err;
            }),
        ),
      );
    } catch (err) {
      throw this.mapError(err, `create group "${spec.group}" on "${spec.topic}"`);
    }
    this.assertOpen('subscribe');
    const membership = new GroupMembership({
      spec,
      sink,
      partitions,
      consumer: this.o.consumerName,
      leaseMs: this.o.leaseMs,
      clock: this.clock,
      keys: this.keys,
      cmd: c.cmd,
      scripts: c.scripts,
      makeLane: (p) => this.makeLane(c, spec, p),
      onLaneGone: (lane) => this.lanes.delete(lane),
      onError: (what, err) => {
        this.lastError = `${what}: ${redact(err instanceof Error ? err.message : String(err), { secrets: this.secrets })}`;
        this.logs.logger.warn({ group: spec.group, topic: spec.topic, err }, `${what} failed`);
      },
    });
    this.memberships.add(membership);
    await membership.start();
    let closed: Promise<void> | undefined;
    return {
      close: () => {
        closed ??= membership.close().finally(() => this.memberships.delete(membership));
        return closed;
      },
    };
  }

  private makeLane(c: Connected, spec: SubscriptionSpec, p: number): RedisLane {
    const stream = this.keys.stream(spec.topic, p);
    const name = `partita:${this.o.consumerName}:${spec.topic}:${p}`;
    const readers = c.readers;
    const lane = new RedisLane(readers.reader(name, stream), c.cmd, c.scripts, {
      id: { group: spec.group, topic: spec.topic, partition: p },
      stream,
      lease: this.keys.lease(spec.topic, spec.group, p),
      fence: this.keys.fence(spec.topic, spec.group, p),
      delayed: this.keys.delayed(spec.topic, p),
      delayedData: this.keys.delayedData(spec.topic, p),
      consumer: this.o.consumerName,
      maxInFlight: spec.maxInFlight,
      blockMs: this.o.blockMs,
      claimTimeoutMs: this.o.claimTimeoutMs,
      maxLen: this.o.maxLen,
      clock: this.clock,
      follow: (err, current) => (this.closing === undefined ? readers.follow(name, stream, err, current) : undefined),
    });
    this.lanes.add(lane);
    return lane;
  }

  /** Connection, owned partitions, lag and pending per lane; secrets redacted. */
  async health(): Promise<HealthReport> {
    return redact(await this.rawHealth(), { secrets: this.secrets });
  }

  private async rawHealth(): Promise<HealthReport> {
    const details: Record<string, unknown> = {
      ...(this.o.cluster ? { cluster: this.o.cluster.nodes.map((n) => `${n.host}:${n.port}`) } : { url: this.o.url }),
      consumer: this.o.consumerName,
      keyPrefix: this.o.keyPrefix,
    };
    if (this.closing) return { status: 'down', reasons: ['transport closed'], details };
    let c: Connected;
    try {
      c = await this.connected();
    } catch (err) {
      return { status: 'down', reasons: [`cannot connect: ${(err as Error).message}`], details };
    }
    const reasons: string[] = [];
    if (c.cmd.status !== 'ready') reasons.push(`connection ${c.cmd.status}; reconnecting`);
    if (this.lastError) details.lastError = this.lastError;
    const groups: Record<string, unknown>[] = [];
    for (const m of this.memberships) {
      const lanes: Record<string, unknown>[] = [];
      for (const lane of m.lanes) {
        const row: Record<string, unknown> = {
          partition: lane.id.partition,
          paused: lane.isPaused,
          unsettled: lane.unsettledCount,
          delivered: lane.delivered,
        };
        if (lane.lastError)
          reasons.push(`reads of "${lane.id.topic}" partition ${lane.id.partition} failing: ${lane.lastError}`);
        if (c.cmd.status === 'ready') {
          try {
            const groups = await streamGroups(c.cmd, this.keys.stream(lane.id.topic, lane.id.partition));
            const info = groups.find((g) => g.name === lane.id.group);
            row.lag = info?.lag ?? null;
            row.pending = info?.pending ?? 0;
          } catch (err) {
            reasons.push(`group info of "${lane.id.topic}" failed: ${(err as Error).message}`);
          }
        }
        lanes.push(row);
      }
      groups.push({ group: m.spec.group, topic: m.spec.topic, owned: m.partitions, members: m.members.length, lanes });
    }
    details.subscriptions = groups;
    return { status: reasons.length > 0 ? 'degraded' : 'ok', reasons, details };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.memberships].map((m) => m.close()));
      const c = await this.connecting?.catch(() => undefined);
      c?.readers.disconnectAll();
      await c?.cmd.quit().catch(() => c.cmd.disconnect());
    })();
    return this.closing;
  }
}

/**
 * Create a Redis Streams transport. Connects lazily (or on `connect()`);
 * options are validated here, so a bad option throws at once.
 */
export function redisTransport(options: RedisTransportOptions = {}): Transport & AdminTransport {
  const resolved = resolveRedisOptions(options);
  const logs = new ComponentLogger('redisTransport', 'redis', options.logger, {
    secrets: redisSecrets({ url: resolved.url, password: resolved.password, cluster: options.cluster }),
  });
  return new RedisTransport(resolved, options.clock, logs);
}
