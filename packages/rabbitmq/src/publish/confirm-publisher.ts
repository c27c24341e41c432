import { randomBytes } from 'node:crypto';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, Message } from 'amqplib';
import { partitionForKey, TimeoutError, type Clock, type OutboundRecord, type TimerHandle } from '@partita/core';
import type { RabbitConnection } from '../connection/rabbit-connection.js';
import { mapAmqpError, UnroutableError } from '../errors/rabbitmq-errors.js';
import { PROBE_HEADER, toAmqp, WAIT_HEADER } from '../headers/amqp-record.js';
import type { ResolvedRabbitMqOptions } from '../options/rabbitmq-transport-options.js';
import { delayTierFor, type Topology } from '../topology/topology.js';

/** Pause before publishing again after the channel closed under a record. */
const RETRY_PAUSE_MS = 50;

/**
 * Publishes with publisher confirms on one channel kept by
 * amqp-connection-manager. A publish resolves only when the broker confirmed
 * every record; a `nack` rejects with `PublishRefusedError`, a record no
 * queue is bound for (returned under `mandatory`) with `UnroutableError`, no
 * confirm within `publishTimeoutMs` with `TimeoutError`.
 *
 * Records in flight when the connection is cut are published again on the
 * next channel (a duplicate at worst, never a silent loss), or rejected once
 * `publishTimeoutMs` passed since the publish began.
 */
export class ConfirmPublisher {
  private readonly wrapper: ChannelWrapper;
  /** Message ids the broker returned as unroutable (the return arrives before the confirm). */
  private readonly returned = new Map<string, string>();
  private readonly idPrefix = randomBytes(6).toString('base64url');
  private seq = 0;
  private closed = false;
  private roundRobin = 0;

  constructor(
    conn: RabbitConnection,
    private readonly topology: Topology,
    private readonly o: ResolvedRabbitMqOptions,
    private readonly clock: Clock,
  ) {
    this.wrapper = conn.manager.createChannel({
      name: 'partita-publisher',
      confirm: true,
      publishTimeout: o.publishTimeoutMs,
      setup: async (ch: ConfirmChannel) => {
        ch.on('return', (m: Message) => {
          const id = m.properties.messageId as string | undefined;
          if (id !== undefined) this.returned.set(id, m.fields.routingKey);
        });
      },
    });
    this.wrapper.on('error', () => undefined);
  }

  /** Records waiting to be sent (queued while disconnected). */
  get queued(): number {
    return this.wrapper.queueLength();
  }

  /** Publish every record; resolves once all are confirmed, rejects with the first failure (after all settled). */
  async publish(records: readonly OutboundRecord[]): Promise<void> {
    const topics = new Set(records.map((r) => r.topic));
    await Promise.all([...topics].map((t) => this.topology.ensureTopic(t)));
    const now = this.clock.now();
    const waits = new Map<string, Promise<void>>();
    const sends: Promise<void>[] = [];
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
      let ready: Promise<void> | undefined;
      if (r.delayMs !== undefined && r.delayMs > 0) {
        const tier = delayTierFor(r.delayMs);
        headers[WAIT_HEADER] = String(tier);
        exchange = this.topology.waitExchangeFor(r.topic);
        const key = `${r.topic}\u0000${tier}`;
        ready = waits.get(key) ?? this.topology.ensureWait(r.topic, tier, now);
        waits.set(key, ready);
      }
      sends.push(this.send(exchange, String(p), content, headers, r.topic, now, ready));
    }
    const results = await Promise.allSettled(sends);
    const failed = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Put a probe into a queue (default exchange); its result does not matter. */
  probe(queue: string, member: string): void {
    this.wrapper
      .sendToQueue(queue, Buffer.alloc(0), { headers: { [PROBE_HEADER]: member }, persistent: false })
      .catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.wrapper.close().catch(() => undefined);
  }

  /** Until the wrapper has a channel again (or the deadline passed). */
  private async waitForChannel(deadline: number): Promise<void> {
    // A short pause first: right after the close the wrapper may still hold the dead channel.
    await new Promise<void>((resolve) => this.clock.setTimeout(resolve, RETRY_PAUSE_MS));
    let timer: TimerHandle | undefined;
    await Promise.race([
      this.wrapper.waitForConnect().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = this.clock.setTimeout(resolve, Math.max(1, deadline - this.clock.now()));
      }),
    ]);
    if (timer !== undefined) this.clock.clearTimeout(timer);
  }

  private async send(
    exchange: string,
    routingKey: string,
    content: Buffer,
    headers: Record<string, string>,
    topic: string,
    now: number,
    ready: Promise<void> | undefined,
  ): Promise<void> {
    if (ready) await ready;
    const messageId = `${this.idPrefix}.${this.seq++}`;
    const deadline = this.clock.now() + this.o.publishTimeoutMs;
    try {
      for (;;) {
        try {
          await this.wrapper.publish(exchange, routingKey, content, {
            persistent: true,
            mandatory: true,
            headers,
            messageId,
            timestamp: Math.floor(now / 1000),
            timeout: Math.max(1, deadline - this.clock.now()),
          });
          break;
        } catch (err) {
          // The channel closed with the record unconfirmed (connection lost): publish it again on the next
          // channel, within the same deadline. A duplicate at worst; never dropped silently.
          if (this.closed || !(err instanceof Error) || err.message !== 'channel closed') throw err;
          if (this.clock.now() >= deadline) throw new Error('timeout', { cause: err });
          await this.waitForChannel(deadline);
        }
      }
    } catch (err) {
      this.returned.delete(messageId);
      if (err instanceof Error && err.message === 'timeout')
        throw new TimeoutError(
          `publish to "${topic}": RabbitMQ did not confirm within ${this.o.publishTimeoutMs} ms (publishTimeoutMs)`,
          { cause: err },
        );
      if (err instanceof Error && /nack/i.test(err.message))
        throw mapAmqpError(
          err,
          `publish to "${topic}" (partition ${routingKey}): a queue is over its length limit (x-overflow reject-publish) or could not store it`,
        );
      throw mapAmqpError(err, `publish to "${topic}"`, topic);
    }
    if (this.returned.delete(messageId)) {
      throw new UnroutableError(
        `publish to "${topic}": no queue is bound for partition ${routingKey} of exchange "${exchange}": ` +
          'no consumer group has subscribed to this topic yet, or publishers and consumers disagree on its partition count',
      );
    }
  }
}
