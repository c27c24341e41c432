import amqp from 'amqplib';
import { createConsoleLogger, createApp, DLQ_HEADERS, defineHandler, type App } from '@partita/core';
import { PublishRefusedError, rabbitmqTransport } from '@partita/rabbitmq';
import { uniqueName, waitFor } from '@partita/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { RABBITMQ_URL, rabbitAvailable, RabbitNames } from './rabbitmq-helpers.js';

// Issue 15: dead letters and refused publishes.
// - The runtime dead-letters a poison message after exactly maxAttempts
//   attempts, into the dead-letter queue, with the partita headers.
// - The broker is the safety net: a message returned more often than the
//   quorum queue's x-delivery-limit is dead-lettered by RabbitMQ itself
//   (at-least-once), with its x-death headers, after exactly limit + 1
//   deliveries.
// - A publish into a queue over its x-max-length (reject-publish) rejects; every
//   publish that resolved is in the queue.

const up = await rabbitAvailable();
const names = new RabbitNames(1);
const quiet = createConsoleLogger({ level: 'silent' });
const apps: App[] = [];
let conn: amqp.ChannelModel | undefined;

afterAll(async () => {
  await Promise.allSettled(apps.map((a) => a.stop({ drainTimeoutMs: 1000 })));
  await conn?.close().catch(() => undefined);
  if (up) await names.deleteAll();
}, 60_000);

async function channel(): Promise<amqp.Channel> {
  conn ??= await amqp.connect(RABBITMQ_URL);
  const ch = await conn.createChannel();
  ch.on('error', () => undefined);
  return ch;
}

const encode = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));

describe.skipIf(!up)('RabbitMQ dead letters and refused publishes', () => {
  it('the runtime dead-letters a poison message after exactly maxAttempts, with the partita headers', async () => {
    const topic = uniqueName('rmq-poison');
    const group = uniqueName('poison');
    const attempts: number[] = [];
    const app = createApp({
      transport: names.track(rabbitmqTransport({ url: RABBITMQ_URL, name: 'poison-app' })),
      logger: quiet,
      handlers: [
        defineHandler<{ id: string }>({
          name: group,
          topic,
          retry: { maxAttempts: 3, backoff: { initialMs: 10, multiplier: 1, maxMs: 10, jitter: 0 } },
          handle(msg) {
            attempts.push(msg.attempt);
            throw new Error(`poison ${msg.value.id}`);
          },
        }),
      ],
    });
    apps.push(app);
    await app.start();
    await app.publish({ topic, key: 'p-1', value: { id: 'p-1' }, headers: { origin: 'test' } });
    const ch = await channel();
    const dlq = `${topic}.dlq`;
    let dead: amqp.GetMessage | false = false;
    await waitFor(async () => (dead = await ch.get(dlq, { noAck: true })) !== false, {
      timeoutMs: 60_000,
      description: `a dead letter in queue ${dlq}`,
    });
    const m = dead as unknown as amqp.GetMessage;
    expect(attempts).toEqual([1, 2, 3]);
    expect(JSON.parse(m.content.toString())).toEqual({ id: 'p-1' });
    const h = m.properties.headers as Record<string, unknown>;
    expect(h.origin).toBe('test');
    expect(String(h[DLQ_HEADERS.topic])).toBe(topic);
    expect(String(h[DLQ_HEADERS.attempts])).toBe('3');
    expect(String(h[DLQ_HEADERS.group])).toBe(group);
    expect(String(h[DLQ_HEADERS.errorMessage])).toContain('poison p-1');
    expect(String(h[DLQ_HEADERS.reason])).toBe('max-retries');
    await ch.close();
  });

  it('the broker dead-letters a message returned more often than x-delivery-limit, after exactly limit + 1 deliveries, with x-death', async () => {
    const topic = uniqueName('rmq-limit');
    const group = uniqueName('limit');
    const deliveryLimit = 2;
    // Create the group's queues through the connector, then consume the partition queue with a client that
    // returns every delivery (as a consumer crashing on the message would).
    const t = names.track(rabbitmqTransport({ url: RABBITMQ_URL, name: 'limit-setup', deliveryLimit }));
    const sub = await t.subscribe(
      { group, topic, handler: group, maxInFlight: 1, timeoutMs: 1000, maxAttempts: 1, startFrom: 'earliest' },
      { assigned: () => ({ deliver() {} }), revoked: async () => undefined },
    );
    await sub.close();
    await t.publish([{ topic, key: 'limit-1', value: encode({ id: 'limit-1' }), headers: { origin: 'test' } }]);
    await t.close();
    const ch = await channel();
    let deliveries = 0;
    await ch.consume(`${topic}.${group}.0`, (m) => {
      if (!m) return;
      deliveries++;
      ch.nack(m, false, true);
    });
    const dlq = `${topic}.dlq`;
    const reader = await channel();
    let dead: amqp.GetMessage | false = false;
    await waitFor(async () => (dead = await reader.get(dlq, { noAck: true })) !== false, {
      timeoutMs: 60_000,
      description: `the broker's dead letter in ${dlq}`,
    });
    const m = dead as unknown as amqp.GetMessage;
    expect(deliveries).toBe(deliveryLimit + 1);
    expect(JSON.parse(m.content.toString())).toEqual({ id: 'limit-1' });
    const h = m.properties.headers as Record<string, unknown>;
    expect(h.origin).toBe('test');
    expect(h['partita-key']).toBe('limit-1');
    expect(h['x-first-death-reason']).toBe('delivery_limit');
    expect(h['x-first-death-queue']).toBe(`${topic}.${group}.0`);
    await ch.close();
    await reader.close();
  });

  it('a publish into a queue over its length limit rejects (reject-publish); every confirmed publish is kept', async () => {
    const topic = uniqueName('rmq-full');
    const group = uniqueName('full');
    const maxLength = 5;
    const t = names.track(rabbitmqTransport({ url: RABBITMQ_URL, name: 'full-app', maxLength }));
    // The group's queue exists (subscribed once), and nobody consumes it now.
    const sub = await t.subscribe(
      { group, topic, handler: group, maxInFlight: 1, timeoutMs: 1000, maxAttempts: 1, startFrom: 'earliest' },
      { assigned: () => ({ deliver() {} }), revoked: async () => undefined },
    );
    await sub.close();
    let confirmed = 0;
    let refusal: unknown;
    for (let i = 0; i < 100 && refusal === undefined; i++) {
      try {
        await t.publish([{ topic, key: `k${i}`, value: encode({ id: i }), headers: {} }]);
        confirmed++;
      } catch (err) {
        refusal = err;
      }
    }
    expect(refusal).toBeInstanceOf(PublishRefusedError);
    expect((refusal as Error).message).toMatch(/length limit|refused/);
    expect(confirmed).toBeGreaterThanOrEqual(maxLength);
    const ch = await channel();
    const q = await ch.checkQueue(`${topic}.${group}.0`);
    expect(q.messageCount).toBe(confirmed);
    await ch.close();
    await t.close();
  });
});
