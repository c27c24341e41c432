import { randomBytes } from 'node:crypto';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, Message } from 'amqplib';
import { ClosedError, partitionForKey, TimeoutError, type Clock, type OutboundRecord } from '@partita/core';
import type { RabbitConnection } from '../connection/rabbit-connection.js';
import { mapAmqpError, UnroutableError } from '../errors/rabbitmq-errors.js';
import { PROBE_HEADER, toAmqp, WAIT_HEADER } from '../headers/amqp-record.js';
import type { ResolvedRabbitMqOptions } from '../options/rabbitmq-transport-options.js';
import { delayTierFor, type Topology } from '../topology/topology.js';

/** One record ready for the wire. */
interface Pending {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly headers: Record<string, string>;
  readonly topic: string;
  readonly messageId: string;
}

/**
 * Publishes with publisher confirms on one channel kept by
 * amqp-connection-manager (which re-opens it after a reconnect). A publish
 * resolves only when the broker confirmed every record; a `nack` rejects
 * with `PublishRefusedError`, a record no queue is bound for (returned under
 * `mandatory`) with `UnroutableError`, no confirm within `publishTimeoutMs`
 * with `TimeoutError`.
 *
 * Records are written on the raw channel in call order. When the channel
 * closes under unconfirmed records (connection lost), the broker confirmed a
 * prefix of them at most; the rest are published again, in their order, on
 * the next channel (duplicates at worst, never a silent loss, and per-key
 * order kept), until `publishTimeoutMs` after the call began.
 */
export class ConfirmPublisher {
  private readonly wrapper: ChannelWrapper;
  /** Message ids the broker returned as unroutable (the return arrives before the confirm). */
  private readonly returned = new Map<string, string>();
  private readonly idPrefix = randomBytes(6).toString('base64url');
  private seq = 0;
  private roundRobin = 0;
  private closed = false;
  private channel: ConfirmChannel | undefined;
  private waiters: ((ch: ConfirmChannel) => void)[] = [];
  /** Records waiting for a channel (published once one is open). */
  private waiting = 0;

  constructor(
    conn: RabbitConnection,
    private readonly topology: Topology,
    private readonly o: ResolvedRabbitMqOptions,
    private readonly clock: Clock,
  ) {
    this.wrapper = conn.manager.createChannel({
      name: 'partita-publisher',
      confirm: true,
      // amqp-connection-manager awaits setup; this one is synchronous.
      setup: (ch: ConfirmChannel) => {
        ch.on('return', (m: Message) => {
          const id = m.properties.messageId as string | undefined;
          if (id !== undefined) this.returned.set(id, m.fields.routingKey);
        });
        ch.on('close', () => {
          if (this.channel === ch) this.channel = undefined;
        });
        this.channel = ch;
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) w(ch);
        return Promise.resolve();
      },
    });
    this.wrapper.on('error', (err: unknown) =>
      conn.log.warn({ err }, 'RabbitMQ publisher channel error; it is set up again'),
    );
  }

  /** Records waiting for a channel (while disconnected). */
  get queued(): number {
    return this.waiting;
  }

  /** Publish every record; resolves once all are confirmed, rejects with the first failure. */
  async publish(records: readonly OutboundRecord[]): Promise<void> {
    const deadline = this.clock.now() + this.o.publishTimeoutMs;
    const topics = new Set(records.map((r) => r.topic));
    await Promise.all([...topics].map((t) => this.topology.ensureTopic(t)));
    const now = this.clock.now();
    const waits = new Map<string, Promise<void>>();
    const todo: Pending[] = [];
    for (const r of records) {
      const n = this.topology.partitionsOf(r.topic);
      const p =
        r.partition !== undefined
          ? r.partition % n
          : r.key !== undefined
            ? partitionForKey(r.key, n)
            : this.roundRobin++ % n;
      const { content, headers } = toAmqp(r);
      let exchange = this.topology.exchangeFor(r.topic);
      if (r.delayMs !== undefined && r.delayMs > 0) {
        const tier = delayTierFor(r.delayMs);
        headers[WAIT_HEADER] = String(tier);
        exchange = this.topology.waitExchangeFor(r.topic);
        const key = `${r.topic}\u0000${tier}`;
        if (!waits.has(key)) waits.set(key, this.topology.ensureWait(r.topic, tier, now));
      }
      todo.push({
        exchange,
        routingKey: String(p),
        content: Buffer.from(content.buffer, content.byteOffset, content.byteLength),
        headers,
        topic: r.topic,
        messageId: `${this.idPrefix}.${this.seq++}`,
      });
    }
    await Promise.all(waits.values());
    await this.sendAll(todo, now, deadline);
  }

  /** Put a probe into a queue (default exchange); its result does not matter. */
  probe(queue: string, member: string): void {
    const ch = this.channel;
    if (!ch) return;
    try {
      ch.sendToQueue(
        queue,
        Buffer.alloc(0),
        { headers: { [PROBE_HEADER]: member }, persistent: false },
        () => undefined,
      );
    } catch {
      /* channel closing: the next probe goes out later */
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.wrapper.close().catch(() => undefined);
  }

  private async sendAll(all: readonly Pending[], now: number, deadline: number): Promise<void> {
    let todo = all;
    try {
      while (todo.length > 0) {
        const ch = await this.nextChannel(todo.length, deadline, todo[0]!.topic);
        const results = await this.withDeadline(
          Promise.allSettled(todo.map((m) => this.write(ch, m, now))),
          deadline,
          todo[0]!.topic,
        );
        const retry: Pending[] = [];
        for (let i = 0; i < todo.length; i++) {
          const r = results[i]!;
          if (r.status === 'fulfilled') continue;
          if (this.closed || !isChannelClosed(r.reason)) throw this.mapFailure(r.reason, todo[i]!);
          retry.push(todo[i]!);
        }
        todo = retry;
      }
    } finally {
      for (const m of all) if (todo.includes(m)) this.returned.delete(m.messageId);
    }
    for (const m of all) {
      if (this.returned.delete(m.messageId))
        throw new UnroutableError(
          `publish to "${m.topic}": no queue is bound for partition ${m.routingKey} of exchange "${m.exchange}": ` +
            'no consumer group has subscribed to this topic yet, or publishers and consumers disagree on its partition count',
        );
    }
  }

  private write(ch: ConfirmChannel, m: Pending, now: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      try {
        ch.publish(
          m.exchange,
          m.routingKey,
          m.content,
          {
            persistent: true,
            mandatory: true,
            headers: m.headers,
            messageId: m.messageId,
            timestamp: Math.floor(now / 1000),
          },
          (err: unknown) =>
            err
              ? reject(err instanceof Error ? err : new Error('publish was not confirmed', { cause: err }))
              : resolve(),
        );
      } catch (err) {
        reject(err);
      }
    });
  }

  /** The open channel, or the next one amqp-connection-manager opens (until the deadline). */
  private async nextChannel(count: number, deadline: number, topic: string): Promise<ConfirmChannel> {
    if (this.closed) throw new ClosedError(`publish to "${topic}": the RabbitMQ transport is closed`);
    if (this.channel) return this.channel;
    this.waiting += count;
    try {
      return await this.withDeadline(
        new Promise<ConfirmChannel>((resolve) => this.waiters.push(resolve)),
        deadline,
        topic,
      );
    } finally {
      this.waiting -= count;
    }
  }

  private withDeadline<T>(p: Promise<T>, deadline: number, topic: string): Promise<T> {
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(
        () =>
          reject(
            new TimeoutError(
              `publish to "${topic}": RabbitMQ did not confirm within ${this.o.publishTimeoutMs} ms (publishTimeoutMs)`,
            ),
          ),
        Math.max(1, deadline - this.clock.now()),
      );
    });
    return Promise.race([p, late]).finally(() => {
      if (timer !== undefined) this.clock.clearTimeout(timer);
    });
  }

  private mapFailure(err: unknown, m: Pending): Error {
    if (err instanceof Error && /nack/i.test(err.message))
      return mapAmqpError(
        err,
        `publish to "${m.topic}" (partition ${m.routingKey}): a queue is over its length limit (x-overflow reject-publish) or could not store it`,
      );
    return mapAmqpError(err, `publish to "${m.topic}"`, m.topic);
  }
}

/** amqplib's answer for a record whose channel closed before its confirm. */
function isChannelClosed(err: unknown): boolean {
  return (
    err instanceof Error && /channel closed|Channel closed|IllegalOperationError/i.test(`${err.name} ${err.message}`)
  );
}
