// Issue 16 "Logs": a pino instance passed to createApp receives the
// connectors' lines with their fields: NATS status events, RabbitMQ
// connection events and ioredis connection events (a reconnect forced by a
// reset in the fault proxy), SQS receive failures (the proxy refusing), and kafkajs' own log entries (through the log
// creator), each with `component`.
import { afterAll, describe, expect, it } from 'vitest';
import { createApp, defineHandler, type App } from '@partita/core';
import { natsTransport } from '@partita/nats';
import { rabbitmqTransport } from '@partita/rabbitmq';
import { redisTransport } from '@partita/redis';
import { createFaultProxy, uniqueName, waitFor, type FaultProxy } from '@partita/testing';
import { deleteStreamsFor, NATS_URL, natsAvailable, uniq } from '../nats/nats-helpers.js';
import { kafkaSkipReason, testTransport, unique } from '../kafka/kafka-test-env.js';
import { RABBITMQ_TARGET, rabbitAvailable, RabbitNames } from '../rabbitmq/rabbitmq-helpers.js';
import { deletePrefix, REDIS_TARGET, redisAvailable, uniquePrefix } from '../redis/redis-helpers.js';
import { deleteQueuesOf, testTransport as sqsTestTransport } from '../sqs/sqs-helpers.js';
import { endpoint as sqsEndpoint, sqsSkipReason, unique as sqsUnique } from '../sqs/sqs-test-env.js';
import { pinoCapture, PINO, type PinoLine } from './pino-capture.js';

const natsUp = await natsAvailable();
const rabbitUp = await rabbitAvailable();
const redisUp = await redisAvailable();
const rabbitNames = new RabbitNames(1);
const redisPrefix = uniquePrefix('logs');
const sqsTopics: string[] = [];
const apps: App[] = [];
const proxies: FaultProxy[] = [];
const streams: string[] = [];
afterAll(async () => {
  for (const app of apps) await app.stop({ drainTimeoutMs: 2000 }).catch(() => undefined);
  for (const p of proxies) await p.close().catch(() => undefined);
  if (natsUp) await deleteStreamsFor(streams);
  if (rabbitUp) await rabbitNames.deleteAll();
  if (redisUp === true) await deletePrefix(redisPrefix);
  if (sqsSkipReason === undefined) await deleteQueuesOf(sqsTopics);
});
const WAIT = { timeoutMs: 60_000, intervalMs: 50 };

describe.skipIf(!natsUp)('NATS through a pino instance given to createApp', () => {
  it('logs the disconnect and the reconnect, with the server, as component nats', async () => {
    const { logger, lines } = pinoCapture();
    const url = new URL(NATS_URL);
    const proxy = await createFaultProxy({ target: { host: url.hostname, port: Number(url.port || 4222) } });
    proxies.push(proxy);
    const topic = uniq('pt.logs');
    streams.push(topic);
    const app = createApp({
      transport: natsTransport({
        servers: [`nats://127.0.0.1:${proxy.port}`],
        name: 'logs-app',
        reconnectTimeWaitMs: 100,
        connectTimeoutMs: 2000,
        pullExpiresMs: 1000,
      }),
      logger,
      handlers: [defineHandler({ name: uniq('logs'), topic, handle: () => undefined })],
    });
    apps.push(app);
    await app.start();
    const nats = (msg: string) => (l: PinoLine) => l.component === 'nats' && l.msg === msg;
    expect(lines.some(nats('disconnected from NATS; reconnecting'))).toBe(false);
    expect(proxy.reset()).toBeGreaterThan(0);
    await waitFor(() => lines.some(nats('reconnected to NATS')), { ...WAIT, description: 'the reconnect line' });
    expect(lines.find(nats('disconnected from NATS; reconnecting'))).toMatchObject({
      level: PINO.warn,
      server: expect.stringContaining(String(proxy.port)),
    });
    expect(lines.find(nats('reconnected to NATS'))).toMatchObject({
      level: PINO.info,
      server: expect.stringContaining(String(proxy.port)),
    });
  });
});

describe.skipIf(kafkaSkipReason !== undefined)('Kafka through a pino instance given to createApp', () => {
  it("gets kafkajs' entries through the log creator, at kafkajs' level with its fields, as component kafka", async () => {
    const { logger, lines } = pinoCapture();
    logger.level = 'info';
    const group = unique('logs-group');
    const app = createApp({
      transport: testTransport({ clientId: 'partita-logs' }),
      logger,
      handlers: [defineHandler({ name: 'logs', group, topic: unique('logs-topic'), handle: () => undefined })],
    });
    apps.push(app);
    await app.start();
    const joined = (l: PinoLine): boolean => l.component === 'kafka' && l.groupId === group && l.kafkajs !== undefined;
    await waitFor(() => lines.some(joined), { ...WAIT, description: 'a kafkajs line about the group' });
    expect(lines.find(joined)).toMatchObject({
      level: PINO.info,
      msg: expect.stringMatching(/^kafkajs: /),
      kafkajs: expect.any(String),
    });
    // Below the logger's level kafkajs builds no entry (its logLevel follows the logger's).
    expect(lines.some((l) => l.component === 'kafka' && l.level < PINO.info)).toBe(false);
    // The producer names its partitioner: no warning that kafkajs 2.0.0 changed the default.
    expect(lines.filter((l) => /partitioner/i.test(String(l.msg))).map((l) => l.msg)).toEqual([]);
  });
});

describe.skipIf(!rabbitUp)('RabbitMQ through a pino instance given to createApp', () => {
  it('logs the lost connection and the reconnect as component rabbitmq, without the password', async () => {
    const { logger, lines, text } = pinoCapture();
    const proxy = await createFaultProxy({ target: RABBITMQ_TARGET });
    proxies.push(proxy);
    const app = createApp({
      transport: rabbitNames.track(
        rabbitmqTransport({
          url: `amqp://guest:guest@127.0.0.1:${proxy.port}`,
          name: 'logs-app',
          partitions: 1,
          heartbeatSeconds: 1,
          reconnectTimeMs: 200,
          connectTimeoutMs: 2000,
        }),
      ),
      logger,
      handlers: [defineHandler({ name: uniqueName('logs'), topic: uniqueName('rmq-logs'), handle: () => undefined })],
    });
    apps.push(app);
    await app.start();
    const rabbit = (msg: string) => (l: PinoLine) => l.component === 'rabbitmq' && l.msg === msg;
    expect(proxy.reset()).toBeGreaterThan(0);
    await waitFor(() => lines.some(rabbit('reconnected to RabbitMQ')), { ...WAIT, description: 'the reconnect line' });
    expect(lines.find(rabbit('disconnected from RabbitMQ; reconnecting'))).toMatchObject({ level: PINO.warn });
    expect(lines.find(rabbit('reconnected to RabbitMQ'))).toMatchObject({ level: PINO.info, reconnects: 1 });
    expect(text()).not.toContain('guest:guest');
  });
});

describe.skipIf(redisUp !== true)('Redis through a pino instance given to createApp', () => {
  it("logs the lost connection and the reconnect as component redis, with the client's name", async () => {
    const { logger, lines } = pinoCapture();
    const proxy = await createFaultProxy({ target: REDIS_TARGET });
    proxies.push(proxy);
    const app = createApp({
      transport: redisTransport({
        url: `redis://127.0.0.1:${proxy.port}`,
        keyPrefix: redisPrefix,
        partitions: 1,
        commandTimeoutMs: 1000,
        connectTimeoutMs: 1000,
      }),
      logger,
      handlers: [defineHandler({ name: 'logs', topic: 'logs', handle: () => undefined })],
    });
    apps.push(app);
    await app.start();
    const redis = (msg: string) => (l: PinoLine) => l.component === 'redis' && l.msg === msg;
    expect(proxy.reset()).toBeGreaterThan(0);
    await waitFor(() => lines.some(redis('reconnected to Redis')), { ...WAIT, description: 'the reconnect line' });
    // The outage is announced once at warn: by the error that ended the connection, or by the close.
    const outage = lines.filter((l) => l.component === 'redis' && l.level === PINO.warn);
    expect(outage).toHaveLength(1);
    expect(outage[0]).toMatchObject({
      client: expect.stringMatching(/^partita:/),
      msg: expect.stringMatching(/^(Redis connection error|connection to Redis lost; reconnecting)$/),
    });
    expect(lines.find(redis('reconnected to Redis'))).toMatchObject({ level: PINO.info });
  });
});

describe.skipIf(sqsSkipReason !== undefined)('SQS through a pino instance given to createApp', () => {
  it("logs a lane's failed receives as component sqs, the first at warn, with group, topic and queue", async () => {
    const { logger, lines, text } = pinoCapture();
    const at = new URL(sqsEndpoint);
    const proxy = await createFaultProxy({ target: { host: at.hostname, port: Number(at.port) } });
    proxies.push(proxy);
    const topic = sqsUnique('logs');
    sqsTopics.push(topic);
    const group = sqsUnique('g');
    const app = createApp({
      transport: sqsTestTransport({ waitTimeSeconds: 1 }, `http://127.0.0.1:${proxy.port}`),
      logger,
      handlers: [defineHandler({ name: 'logs', group, topic, handle: () => undefined })],
    });
    apps.push(app);
    await app.start();
    await proxy.refuse();
    proxy.reset();
    const failed = (l: PinoLine): boolean => l.component === 'sqs' && l.msg === 'SQS receive failed; polling again';
    await waitFor(() => lines.some(failed), { ...WAIT, description: 'the failed receive line' });
    expect(lines.find(failed)).toMatchObject({
      level: PINO.warn,
      group,
      topic,
      queue: expect.stringContaining(topic),
      failures: 1,
      err: { type: 'ConnectionError' },
    });
    await waitFor(() => lines.filter(failed).length >= 2, { ...WAIT, description: 'a repeated failure' });
    expect(
      lines
        .filter(failed)
        .slice(1)
        .every((l) => l.level === PINO.debug),
    ).toBe(true);
    await proxy.heal();
    expect(text()).not.toContain('partita-test-secret');
  });
});
