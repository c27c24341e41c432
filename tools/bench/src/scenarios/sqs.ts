/**
 * `npm run bench -- sqs [throughput|keyed-io] [--n N]`
 *
 * throughput: 20,000 × 1 KiB messages on a standard queue, no-op handler.
 *   partita (ordering 'none', maxInFlight 100: 10 receives of 10 in flight)
 *   against a plain SDK loop with the same 10 receives of 10 in flight, each
 *   decoding its bodies (JSON, as partita's codec does) and deleting them in
 *   one DeleteMessageBatch. One publish fills both group queues of the topic.
 * keyed-io: 2,000 messages over 100 keys on a FIFO queue, the handler awaits
 *   5 ms. partita 'key' ordering against the plain loop handling one message
 *   at a time (receive 1, handle, delete).
 * Needs an SQS endpoint at PARTITA_SQS_ENDPOINT (default: the ElasticMQ of
 * `npm run elasticmq -- start`, http://127.0.0.1:9324).
 */
import { randomBytes } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { createConsoleLogger, createApp, defineHandler } from '@partita/core';
import { sqsTransport, topicQueuePrefix, type SqsTransportOptions } from '@partita/sqs';
import { rssMb, writeReport, type BenchRow } from '../report.js';

const endpoint = process.env.PARTITA_SQS_ENDPOINT ?? 'http://127.0.0.1:9324';
const options: SqsTransportOptions = {
  endpoint,
  region: process.env.PARTITA_SQS_REGION ?? 'elasticmq',
  ...(process.env.AWS_ACCESS_KEY_ID ? {} : { credentials: { accessKeyId: 'bench', secretAccessKey: 'bench-secret' } }),
  waitTimeSeconds: 1,
};
const quiet = createConsoleLogger({ level: 'silent' });
const log = (m: string): void => {
  if (process.env.BENCH_VERBOSE) console.error(m);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function client(): SQSClient {
  return new SQSClient({
    endpoint,
    region: options.region,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    useQueueUrlAsEndpoint: false,
  });
}

/** Create the group queues of partita and of the baseline, then fill both with one fan-out publish. */
async function fill(topic: string, groups: string[], ordering: 'none' | 'key', n: number, size: number, keys: number) {
  const t = sqsTransport(options);
  try {
    for (const g of groups) await t.createGroupQueue(topic, g, { ordering });
    // Each value differs (its index): FIFO queues drop a message identical to one sent in the last 5 minutes.
    const pad = 'x'.repeat(size - 20);
    const enc = new TextEncoder();
    for (let i = 0; i < n; i += 500) {
      const batch = [];
      for (let j = i; j < Math.min(n, i + 500); j++) {
        const value = enc.encode(JSON.stringify({ i: j, p: pad }));
        batch.push({ topic, key: keys > 0 ? `k${j % keys}` : undefined, value, headers: {} });
      }
      await t.publish(batch);
    }
  } finally {
    await t.close();
  }
}

async function queueUrl(c: SQSClient, topic: string, group: string, fifo: boolean): Promise<string> {
  const name = `${topicQueuePrefix('', topic)}${group}${fifo ? '.fifo' : ''}`;
  return (await c.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
}

const row = (n: number, secs: number): BenchRow => ({
  name: '',
  msgsPerSec: n / secs,
  p50Ms: null,
  p99Ms: null,
  rssMb: rssMb(),
  seconds: Math.round(secs * 1000) / 1000,
});

/** Baseline: `loops` receive loops in flight, each receive 10, decode, one DeleteMessageBatch. */
async function sdkLoop(url: string, n: number, loops: number): Promise<BenchRow> {
  const c = client();
  let done = 0;
  const t0 = performance.now();
  const loop = async (): Promise<void> => {
    while (done < n) {
      const res = await c.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      const msgs = res.Messages ?? [];
      if (msgs.length === 0) continue;
      for (const m of msgs) JSON.parse(m.Body ?? 'null');
      await c.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: msgs.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      done += msgs.length;
    }
  };
  await Promise.all(Array.from({ length: loops }, loop));
  const r = row(n, (performance.now() - t0) / 1000);
  c.destroy();
  return r;
}

/** Baseline of keyed-io: one message at a time. */
async function sequential(url: string, n: number, handle: () => Promise<void>): Promise<BenchRow> {
  const c = client();
  let done = 0;
  const t0 = performance.now();
  while (done < n) {
    const res = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }));
    for (const m of res.Messages ?? []) {
      JSON.parse(m.Body ?? 'null');
      await handle();
      await c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
      done++;
    }
  }
  const r = row(n, (performance.now() - t0) / 1000);
  c.destroy();
  return r;
}

async function partita(
  topic: string,
  group: string,
  n: number,
  ordering: 'none' | 'key',
  maxInFlight: number,
  handle: () => Promise<void> | void,
  extra: SqsTransportOptions = {},
): Promise<BenchRow> {
  const app = createApp({
    transport: sqsTransport({ ...options, ...extra }),
    logger: quiet,
    handlers: [defineHandler({ name: group, topic, ordering, maxInFlight, timeoutMs: 30_000, handle })],
  });
  const t0 = performance.now();
  await app.start();
  let lastLog = performance.now();
  while (app.inspect().metrics.succeeded < n) {
    await sleep(5);
    if (performance.now() - lastLog > 5000) {
      lastLog = performance.now();
      log(`${group}: ${app.inspect().metrics.succeeded} of ${n}`);
    }
  }
  const r = row(n, (performance.now() - t0) / 1000);
  await app.stop({ drainTimeoutMs: 5000 });
  return r;
}

async function cleanup(topic: string): Promise<void> {
  const c = client();
  for (const t of [topic, `${topic}.dlq`]) {
    const res = await c.send(new ListQueuesCommand({ QueueNamePrefix: topicQueuePrefix('', t) }));
    for (const QueueUrl of res.QueueUrls ?? []) await c.send(new DeleteQueueCommand({ QueueUrl })).catch(() => 0);
  }
  c.destroy();
}

async function throughput(n: number): Promise<{ rows: BenchRow[]; ratio: number }> {
  const topic = `bench-sqs-tp-${randomBytes(3).toString('hex')}`;
  try {
    await fill(topic, ['partita', 'sdk'], 'none', n, 1024, 0);
    log(`filled ${n} × 2`);
    const c = client();
    const url = await queueUrl(c, topic, 'sdk', false);
    c.destroy();
    const sdk = await sdkLoop(url, n, 10);
    log(`sdk ${Math.round(sdk.msgsPerSec)} msg/s`);
    const pa = await partita(topic, 'partita', n, 'none', 100, () => undefined);
    log(`partita ${Math.round(pa.msgsPerSec)} msg/s`);
    return {
      rows: [
        { ...pa, name: 'partita' },
        { ...sdk, name: 'sdk' },
      ],
      ratio: pa.msgsPerSec / sdk.msgsPerSec,
    };
  } finally {
    await cleanup(topic);
  }
}

async function keyedIo(n: number): Promise<{ rows: BenchRow[]; ratio: number }> {
  const topic = `bench-sqs-kio-${randomBytes(3).toString('hex')}`;
  try {
    await fill(topic, ['key', 'sequential'], 'key', n, 100, 100);
    log(`filled ${n} × 2`);
    const key = await partita(topic, 'key', n, 'key', 500, () => sleep(5), { maxReceives: 50 });
    log(`key ${Math.round(key.msgsPerSec)} msg/s`);
    const c = client();
    const url = await queueUrl(c, topic, 'sequential', true);
    c.destroy();
    const seq = await sequential(url, n, () => sleep(5));
    log(`sequential ${Math.round(seq.msgsPerSec)} msg/s`);
    return {
      rows: [
        { ...key, name: 'key' },
        { ...seq, name: 'sequential' },
      ],
      ratio: key.msgsPerSec / seq.msgsPerSec,
    };
  } finally {
    await cleanup(topic);
  }
}

export async function run(args: string[]): Promise<void> {
  const which = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a));
  const nIdx = args.indexOf('--n');
  const nArg = nIdx >= 0 ? Number(args[nIdx + 1]) : undefined;
  const rows: BenchRow[] = [];
  const ratios: Record<string, number> = {};
  if (!which || which === 'throughput') {
    const r = await throughput(nArg ?? 20_000);
    rows.push(...r.rows);
    ratios['partita/sdk'] = r.ratio;
  }
  if (!which || which === 'keyed-io') {
    const r = await keyedIo(nArg ?? 2000);
    rows.push(...r.rows);
    ratios['key/sequential'] = r.ratio;
  }
  writeReport({
    scenario: 'sqs',
    results: rows,
    ratios,
    targets: { 'partita/sdk': '>= 0.9', 'key/sequential': '>= 10' },
  });
}
