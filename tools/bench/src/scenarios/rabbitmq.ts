/**
 * `npm run bench -- rabbitmq [throughput|keyed-io] [--n 50000]`
 *
 * throughput: 50,000 × 1 KiB records on one quorum queue, no-op handler.
 *   partita (ordering 'none', maxInFlight = prefetch 1024) against a plain
 *   amqplib consumer with the same prefetch and one ack per message, which
 *   decodes the JSON payload like partita does (see README, "equal work").
 *   Each side reads its own group's queue, filled by the same publishes;
 *   three rounds alternate the sides and the medians are reported.
 * keyed-io: 5,000 records over 100 keys, the handler awaits 5 ms. partita
 *   'key' ordering (maxInFlight 256) against the plain consumer with prefetch 1.
 * Needs RabbitMQ at PARTITA_RABBITMQ_URL (default amqp://guest:guest@127.0.0.1:5672).
 */
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { createConsoleLogger, createApp, defineHandler } from '@partita/core';
import { provisionRabbitMq, rabbitmqTransport } from '@partita/rabbitmq';
import { rssMb, writeReport, type BenchRow } from '../report.js';

const url = process.env.PARTITA_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const quiet = createConsoleLogger({ level: 'silent' });
const log = (m: string): void => {
  if (process.env.BENCH_VERBOSE) console.error(m);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Fixed so that every side's queue is declared alike. */
const DELIVERY_LIMIT = 100;

/** Declare the groups' queues, then publish `n` records of `size` bytes (JSON, the app's default codec). */
async function fill(topic: string, groups: string[], n: number, size: number, keys: number): Promise<void> {
  await provisionRabbitMq({ url, deliveryLimit: DELIVERY_LIMIT }, [{ topic, groups }]);
  const t = rabbitmqTransport({ url, name: 'bench-fill', deliveryLimit: DELIVERY_LIMIT });
  const value = new TextEncoder().encode(JSON.stringify('x'.repeat(size - 2)));
  for (let i = 0; i < n; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 1000); j++)
      batch.push({ topic, key: keys > 0 ? `k${j % keys}` : undefined, value, headers: {} });
    await t.publish(batch);
  }
  await t.close();
}

const row = (n: number, secs: number, rss: number): BenchRow => ({
  name: '',
  msgsPerSec: n / secs,
  p50Ms: null,
  p99Ms: null,
  rssMb: rss,
  seconds: Math.round(secs * 1000) / 1000,
});

/** The baseline: a plain amqplib consumer on the group's queue, one ack per message. */
async function plainConsumer(
  queue: string,
  n: number,
  prefetch: number,
  handle: () => Promise<void> | void,
): Promise<BenchRow> {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  await ch.prefetch(prefetch);
  const t0 = performance.now();
  let count = 0;
  await new Promise<void>((resolve, reject) => {
    let chain = Promise.resolve();
    void ch.consume(queue, (m) => {
      if (!m) return;
      chain = chain.then(async () => {
        JSON.parse(m.content.toString('utf8'));
        const r = handle();
        if (r) await r;
        ch.ack(m);
        if (++count === n) resolve();
      }, reject);
    });
  });
  await ch.prefetch(prefetch); // a round trip: the broker has read every ack
  const secs = (performance.now() - t0) / 1000;
  const rss = rssMb();
  await conn.close();
  return row(n, secs, rss);
}

async function partita(
  topic: string,
  group: string,
  n: number,
  ordering: 'none' | 'key',
  maxInFlight: number,
  handle: () => Promise<void> | void,
): Promise<BenchRow> {
  const transport = rabbitmqTransport({ url, name: 'bench-partita', deliveryLimit: DELIVERY_LIMIT });
  // Like the baseline, the connection is opened before the clock starts; subscribing is timed.
  await transport.connect();
  const app = createApp({
    transport,
    logger: quiet,
    handlers: [defineHandler({ name: group, topic, ordering, maxInFlight, timeoutMs: 30_000, handle })],
  });
  const t0 = performance.now();
  await app.start();
  while (app.inspect().metrics.succeeded < n) await sleep(5);
  const secs = (performance.now() - t0) / 1000;
  const rss = rssMb();
  await app.stop({ drainTimeoutMs: 5000 });
  return row(n, secs, rss);
}

async function cleanup(topic: string, groups: string[]): Promise<void> {
  const conn = await amqp.connect(url);
  const drop = async (fn: (ch: amqp.Channel) => Promise<unknown>): Promise<void> => {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    await fn(ch).catch(() => undefined);
    await ch.close().catch(() => undefined);
  };
  for (const q of [`${topic}.unrouted`, `${topic}.dlq`, `${topic}.dlq.unrouted`]) await drop((ch) => ch.deleteQueue(q));
  for (const g of groups) {
    await drop((ch) => ch.deleteQueue(`${topic}.${g}.0`));
    await drop((ch) => ch.deleteQueue(`${topic}.${g}.members`));
  }
  for (const x of [topic, `${topic}.unrouted`, `${topic}.wait`, `${topic}.dlq`, `${topic}.dlq.unrouted`])
    await drop((ch) => ch.deleteExchange(x));
  await conn.close();
}

const ROUNDS = 3;
const median = (xs: BenchRow[]): BenchRow =>
  [...xs].sort((a, b) => a.msgsPerSec - b.msgsPerSec)[Math.floor(xs.length / 2)]!;

async function throughput(n: number): Promise<{ rows: BenchRow[]; ratio: number }> {
  const id = randomBytes(3).toString('hex');
  const topic = `bench.rmq.tp.${id}`;
  const base = Array.from({ length: ROUNDS }, (_, i) => `base${i}_${id}`);
  const mine = Array.from({ length: ROUNDS }, (_, i) => `partita${i}_${id}`);
  await fill(topic, [...base, ...mine], n, 1024, 0);
  log(`filled ${n}`);
  try {
    // Rounds alternate the sides, each on its own group's queue (same records); medians are reported.
    const b: BenchRow[] = [];
    const p: BenchRow[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      b.push(await plainConsumer(`${topic}.${base[i]}.0`, n, 1024, () => undefined));
      log(`amqplib ${Math.round(b.at(-1)!.msgsPerSec)} msg/s`);
      p.push(await partita(topic, mine[i]!, n, 'none', 1024, () => undefined));
      log(`partita ${Math.round(p.at(-1)!.msgsPerSec)} msg/s`);
    }
    const pm = median(p);
    const bm = median(b);
    return {
      rows: [
        { ...pm, name: 'partita', rounds: p.map((r) => Math.round(r.msgsPerSec)) },
        { ...bm, name: 'amqplib', rounds: b.map((r) => Math.round(r.msgsPerSec)) },
      ],
      ratio: pm.msgsPerSec / bm.msgsPerSec,
    };
  } finally {
    await cleanup(topic, [...base, ...mine]);
  }
}

async function keyedIo(n: number): Promise<{ rows: BenchRow[]; ratio: number }> {
  const id = randomBytes(3).toString('hex');
  const topic = `bench.rmq.kio.${id}`;
  const groups = [`key_${id}`, `seq_${id}`];
  await fill(topic, groups, n, 100, 100);
  try {
    const key = await partita(topic, groups[0]!, n, 'key', 256, () => sleep(5));
    log(`key ${Math.round(key.msgsPerSec)} msg/s`);
    const seq = await plainConsumer(`${topic}.${groups[1]}.0`, n, 1, () => sleep(5));
    log(`sequential ${Math.round(seq.msgsPerSec)} msg/s`);
    return {
      rows: [
        { ...key, name: 'key' },
        { ...seq, name: 'sequential' },
      ],
      ratio: key.msgsPerSec / seq.msgsPerSec,
    };
  } finally {
    await cleanup(topic, groups);
  }
}

export async function run(args: string[]): Promise<void> {
  const which = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a));
  const nIdx = args.indexOf('--n');
  const nArg = nIdx >= 0 ? Number(args[nIdx + 1]) : undefined;
  const rows: BenchRow[] = [];
  const ratios: Record<string, number> = {};
  if (!which || which === 'throughput') {
    const r = await throughput(nArg ?? 50_000);
    rows.push(...r.rows);
    ratios['partita/amqplib'] = r.ratio;
  }
  if (!which || which === 'keyed-io') {
    const r = await keyedIo(nArg ?? 5000);
    rows.push(...r.rows);
    ratios['key/sequential'] = r.ratio;
  }
  writeReport({
    scenario: 'rabbitmq',
    results: rows,
    ratios,
    targets: { 'partita/amqplib': '>= 0.9', 'key/sequential': '>= 10' },
  });
}
