// Traces across real brokers: the `send` span's context travels in the record's
// headers through Kafka and NATS JetStream, and the `process` span continues it.
import { SpanKind } from '@opentelemetry/api';
import { createConsoleLogger, createApp, defineHandler, type App, type Logger, type Transport } from '@partita/core';
import { natsTransport } from '@partita/nats';
import { otelInstrumentation } from '@partita/opentelemetry';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { installTracing, one } from '../../../packages/opentelemetry/src/tracing/otel.test-support.js';
import { kafkaSkipReason, testTransport, unique, until } from '../kafka/kafka-test-env.js';
import { deleteStreamsFor, NATS_URL, natsAvailable, uniq } from '../nats/nats-helpers.js';

const otel = installTracing();
afterAll(() => otel.uninstall());
const quiet: Logger = createConsoleLogger({ level: 'silent' });
const apps: App[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.stop({ drainTimeoutMs: 5_000 }).catch(() => {});
  otel.exporter.reset();
});

/** Publish one record and check the send → process → inner → send → process chain and the attributes. */
async function chain(transport: () => Transport, topicA: string, topicB: string, system: string): Promise<void> {
  let done = false;
  const app = createApp({
    transport: transport(),
    logger: quiet,
    instrumentation: [otelInstrumentation()],
    handlers: [
      defineHandler<{ n: number }>({
        name: `${topicA}-h`,
        topic: topicA,
        handle: (msg, ctx) => ctx.publish({ topic: topicB, key: msg.key, value: { n: msg.value.n + 1 } }),
      }),
      defineHandler({ name: `${topicB}-h`, topic: topicB, handle: () => void (done = true) }),
    ],
  });
  apps.push(app);
  await app.start();
  await app.publish({ topic: topicA, key: 'k', value: { n: 1 } });
  await until(() => done, 'the second handler ran');
  const spans = await until(
    () => (otel.spans().some((s) => s.name === `process ${topicB}`) ? otel.spans() : undefined),
    'the spans',
  );
  const send1 = one(spans, `send ${topicA}`, (s) => s.name === `send ${topicA}`);
  const proc1 = one(spans, `process ${topicA}`, (s) => s.name === `process ${topicA}`);
  const send2 = one(spans, `send ${topicB}`, (s) => s.name === `send ${topicB}`);
  const proc2 = one(spans, `process ${topicB}`, (s) => s.name === `process ${topicB}`);
  expect(proc1.parentSpanId).toBe(send1.spanId);
  expect(send2.parentSpanId).toBe(proc1.spanId);
  expect(proc2.parentSpanId).toBe(send2.spanId);
  expect(new Set([send1, proc1, send2, proc2].map((s) => s.traceId)).size).toBe(1);
  expect(send1.kind).toBe(SpanKind.PRODUCER);
  expect(proc1.kind).toBe(SpanKind.CONSUMER);
  expect(send1.attributes).toMatchObject({
    'messaging.system': system,
    'messaging.destination.name': topicA,
    'messaging.operation.type': 'send',
  });
  expect(proc1.attributes).toMatchObject({
    'messaging.system': system,
    'messaging.destination.name': topicA,
    'messaging.consumer.group.name': `${topicA}-h`,
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'partita.attempt': 1,
  });
  const partition = proc1.attributes['messaging.destination.partition.id'];
  expect(typeof partition).toBe('string');
  if (system === 'kafka') {
    expect(typeof proc1.attributes['messaging.kafka.offset']).toBe('number');
    expect(proc1.attributes['messaging.message.id']).toBe(
      `${topicA}/${String(partition)}/${String(proc1.attributes['messaging.kafka.offset'])}`,
    );
  } else {
    expect(proc1.attributes['messaging.message.id']).toBe(
      `${topicA}/${String(partition)}/${String(proc1.attributes['messaging.partita.offset'])}`,
    );
  }
}

describe.skipIf(kafkaSkipReason !== undefined)('traces on Kafka', () => {
  it('publish → process parent/child through Kafka headers, with the messaging attributes', async () => {
    await chain(() => testTransport(), unique('otel-a'), unique('otel-b'), 'kafka');
  });
});

const natsUp = await natsAvailable();
describe.skipIf(!natsUp)('traces on NATS JetStream', () => {
  const topics: string[] = [];
  afterAll(() => deleteStreamsFor(topics));
  it('publish → process parent/child through NATS headers, with the messaging attributes', async () => {
    const a = uniq('otel.a');
    const b = uniq('otel.b');
    topics.push(a, b);
    await chain(() => natsTransport({ servers: [NATS_URL] }), a, b, 'nats');
  });
});
