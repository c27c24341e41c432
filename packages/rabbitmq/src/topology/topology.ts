import type { TopologyRegistry } from '../admin/topology-registry.js';
import { mapAmqpError } from '../errors/rabbitmq-errors.js';
import type { RabbitConnection } from '../connection/rabbit-connection.js';
import { WAIT_HEADER } from '../headers/amqp-record.js';
import { partitionsOf, type ResolvedRabbitMqOptions } from '../options/rabbitmq-transport-options.js';

/** Mantissas of the delay tiers: a delay is rounded up to the next `m × 10^k` ms (at most 25 % later). */
const TIER_MANTISSAS = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];

/**
 * The wait-queue tier of a delay: the smallest tier ≥ `delayMs` (never
 * earlier than asked). Tiers bound the number of wait queues per topic to
 * about ten per decade of delays.
 */
export function delayTierFor(delayMs: number): number {
  const d = Math.max(1, Math.ceil(delayMs));
  const decade = 10 ** Math.floor(Math.log10(d));
  for (const m of TIER_MANTISSAS) {
    const t = Math.round(m * decade);
    if (t >= d) return t;
  }
  return 10 * decade;
}

/** A presence queue without members is deleted by the broker after this long. */
const PRESENCE_EXPIRY_MS = 86_400_000;
/** Wait queues stay this long after their last use (x-expires), then the broker deletes them. */
const WAIT_EXPIRY_MARGIN_MS = 60_000;
/** A wait queue is declared again (which restarts its expiry) when its last declaration is older than this. */
const WAIT_REDECLARE_MS = 10_000;

/**
 * Names and declarations of the connector's topology:
 *
 * - per topic a durable direct exchange (`<prefix><topic>`); a record's
 *   routing key is its partition number; its alternate exchange
 *   `<prefix><topic>.unrouted` keeps, in a queue of that name, what no
 *   group's queue took (published before any group subscribed);
 * - per (topic, group) `partitions` queues `<prefix><topic>.<group>.<p>`,
 *   bound with key `<p>`, each with a single active consumer, quorum by
 *   default, the broker's delivery limit and at-least-once dead-lettering to
 *   the dead-letter topic;
 * - per (topic, group) a presence queue `<prefix><topic>.<group>.members`
 *   whose consumer count is the number of members;
 * - per dead-letter topic one queue of the same name holding every dead
 *   letter (the runtime's copies and the broker's own);
 * - per (topic, delay tier) a wait queue whose TTL dead-letters back to the
 *   topic's exchange with the record's partition as routing key.
 */
export class Topology {
  private readonly exchanges = new Map<string, Promise<void>>();
  private readonly groups = new Map<string, Promise<void>>();
  private readonly waits = new Map<string, { at: number; done: Promise<void> }>();

  constructor(
    private readonly conn: RabbitConnection,
    private readonly o: ResolvedRabbitMqOptions,
    /** Where declared topics and groups are noted for the admin (not with `declare: false`). */
    private readonly registry?: TopologyRegistry,
  ) {}

  exchangeFor(topic: string): string {
    return this.o.exchangeName(topic);
  }

  queueFor(topic: string, group: string, partition: number): string {
    return this.o.queueName(topic, group, partition);
  }

  /**
   * The group's presence queue: every member holds a consumer on it (no
   * single active consumer), so its consumer count is the group's size.
   * Partition queues cannot tell: with a single active consumer the broker
   * counts only the active one.
   */
  presenceQueueFor(topic: string, group: string): string {
    return `${this.o.prefix}${topic}.${group}.members`;
  }

  deadLetterTopicOf(topic: string): string {
    return `${topic}${this.o.dlqSuffix}`;
  }

  /** The queue holding every dead letter of `topic` (named like its dead-letter topic's exchange). */
  deadLetterQueueFor(topic: string): string {
    return this.exchangeFor(this.deadLetterTopicOf(topic));
  }

  /** Alternate exchange of a topic and its queue (same name): records no partition queue took. */
  unroutedFor(topic: string): string {
    return `${this.exchangeFor(topic)}.unrouted`;
  }

  waitExchangeFor(topic: string): string {
    return `${this.exchangeFor(topic)}.wait`;
  }

  waitQueueFor(topic: string, tierMs: number): string {
    return `${this.waitExchangeFor(topic)}.${tierMs}`;
  }

  partitionsOf(topic: string): number {
    return partitionsOf(this.o, topic);
  }

  /** The topic's exchange exists (declared, or checked with `declare: false`). Cached once it succeeded. */
  ensureTopic(topic: string): Promise<void> {
    return this.cached(this.exchanges, topic, () =>
      this.conn.withChannel(async (ch) => {
        const ex = this.exchangeFor(topic);
        try {
          if (!this.o.declare) {
            await ch.checkExchange(ex);
            return;
          }
          // Records no queue takes (no group subscribed yet) go to the alternate exchange's queue, not nowhere.
          const ux = this.unroutedFor(topic);
          await ch.assertExchange(ux, 'fanout', { durable: true });
          await ch.assertQueue(ux, { durable: true, arguments: { 'x-queue-type': this.o.queueType } });
          await ch.bindQueue(ux, ux, '');
          await ch.assertExchange(ex, 'direct', { durable: true, alternateExchange: ux });
        } catch (err) {
          throw mapAmqpError(err, `exchange "${ex}"`, topic);
        }
        await this.registry?.note(topic);
      }),
    );
  }

  /**
   * The group's partition queues of `topic` exist and are bound, with the
   * dead-letter topic's exchange and queue. `deliveryLimit` is the quorum
   * queues' `x-delivery-limit`.
   */
  ensureGroup(topic: string, group: string, deliveryLimit: number): Promise<void> {
    return this.cached(this.groups, `${topic}\u0000${group}`, async () => {
      await this.ensureTopic(topic);
      if (this.o.declare) await this.ensureDeadLetter(topic);
      await this.conn.withChannel(async (ch) => {
        const presence = this.presenceQueueFor(topic, group);
        try {
          // Nothing is published to it; deleted by the broker a day after its last member left.
          await ch.assertQueue(presence, {
            durable: true,
            arguments: { 'x-queue-type': 'classic', 'x-expires': PRESENCE_EXPIRY_MS, 'x-max-length': 0 },
          });
        } catch (err) {
          throw mapAmqpError(err, `presence queue "${presence}"`);
        }
        for (let p = 0; p < this.partitionsOf(topic); p++) {
          const q = this.queueFor(topic, group, p);
          try {
            if (!this.o.declare) {
              await ch.checkQueue(q);
              continue;
            }
            await ch.assertQueue(q, { durable: true, arguments: this.partitionArgs(topic, deliveryLimit) });
            await ch.bindQueue(q, this.exchangeFor(topic), String(p));
          } catch (err) {
            throw mapAmqpError(err, `partition queue "${q}"`, this.o.declare ? undefined : topic);
          }
        }
      });
      if (this.o.declare) await this.registry?.note(topic, group);
    });
  }

  /** The wait queue of `tierMs` for `topic` exists and its expiry was restarted recently. */
  ensureWait(topic: string, tierMs: number, now: number): Promise<void> {
    const key = `${topic}\u0000${tierMs}`;
    const hit = this.waits.get(key);
    if (hit && now - hit.at < WAIT_REDECLARE_MS) return hit.done;
    const done = this.conn.withChannel(async (ch) => {
      const wx = this.waitExchangeFor(topic);
      const wq = this.waitQueueFor(topic, tierMs);
      try {
        await ch.assertExchange(wx, 'headers', { durable: true });
        await ch.assertQueue(wq, {
          durable: true,
          arguments: {
            'x-queue-type': 'quorum',
            'x-message-ttl': tierMs,
            'x-expires': tierMs + WAIT_EXPIRY_MARGIN_MS,
            'x-dead-letter-exchange': this.exchangeFor(topic),
            'x-dead-letter-strategy': 'at-least-once',
            'x-overflow': 'reject-publish',
          },
        });
        await ch.bindQueue(wq, wx, '', { 'x-match': 'all', [WAIT_HEADER]: String(tierMs) });
      } catch (err) {
        throw mapAmqpError(err, `wait queue "${wq}"`);
      }
    });
    this.waits.set(key, { at: now, done });
    done.catch(() => this.waits.delete(key));
    return done;
  }

  /** Forget what was declared (after a declaration failed, or to check again after a reconnect). */
  forget(topic: string): void {
    this.exchanges.delete(topic);
  }

  private async ensureDeadLetter(topic: string): Promise<void> {
    const dlt = this.deadLetterTopicOf(topic);
    await this.ensureTopic(dlt);
    await this.conn.withChannel(async (ch) => {
      const q = this.deadLetterQueueFor(topic);
      try {
        await ch.assertQueue(q, { durable: true, arguments: { 'x-queue-type': this.o.queueType } });
        for (let p = 0; p < this.partitionsOf(dlt); p++) await ch.bindQueue(q, this.exchangeFor(dlt), String(p));
      } catch (err) {
        throw mapAmqpError(err, `dead-letter queue "${q}"`);
      }
    });
  }

  private partitionArgs(topic: string, deliveryLimit: number): Record<string, unknown> {
    const args: Record<string, unknown> = {
      'x-queue-type': this.o.queueType,
      'x-single-active-consumer': true,
      'x-dead-letter-exchange': this.exchangeFor(this.deadLetterTopicOf(topic)),
      'x-dead-letter-routing-key': '0',
      'x-overflow': 'reject-publish',
    };
    if (this.o.queueType === 'quorum') {
      args['x-delivery-limit'] = deliveryLimit;
      args['x-dead-letter-strategy'] = 'at-least-once';
    }
    if (this.o.maxLength !== undefined) args['x-max-length'] = this.o.maxLength;
    return args;
  }

  private cached(map: Map<string, Promise<void>>, key: string, make: () => Promise<void>): Promise<void> {
    let p = map.get(key);
    if (!p) {
      p = make();
      map.set(key, p);
      p.catch(() => map.delete(key));
    }
    return p;
  }
}
