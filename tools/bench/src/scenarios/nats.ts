/**
 * `npm run bench -- nats [throughput|keyed-io] [--n 100000]`
 *
 * throughput: 100,000 × 1 KiB records, no-op handler. partita (ordering
 *   'none') against a plain @nats-io/jetstream consume loop acking each
 *   message, both reading the same stream data with their own durable.
 * keyed-io: 5,000 records over 100 keys, the handler awaits 5 ms. partita
 *   'key' ordering against the plain loop handling one message at a time.
 * Needs NATS with JetStream at PARTITA_NATS_SERVERS (default 127.0.0.1:4222).
 */
import { randomBytes } from 'node:crypto';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createConsoleLogger, createApp, defineHandler } from '@partita/core';
import { natsTransport } from '@partita/nats';
import { rssMb, writeReport, type BenchRow } from '../report.js';

const servers = (process.env.PARTITA_NATS_SERVERS ?? 'nats://127.0.0.1:4222').split(',');
const quiet = createConsoleLogger({ level: 'silent' });
const log = (m: string): void => {
  if (process.env.BENCH_VERBOSE) console.error(m);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function fill(topic: string, n: number, size: number, keys: number): Promise<void> {
  const t = natsTransport({ servers, storage: 'file' });
  const value = new TextEncoder().encode(JSON.stringify('x'.repeat(size - 2))); // JSON, the app's default codec
  for (let i = 0; i < n; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 1000); j++)
      batch.push({ topic, key: keys > 0 ? `k${j % keys}` : undefined, value, headers: {} });
    await t.publish(batch);
  }
  await t.close();
}

/** The baseline: a plain consume loop, explicit ack per message. */
async function plainLoop(topic: string, n: number, handle: () => Promise<void> | void): Promise<BenchRow> {
  const nc = await connect({ servers });
  const jsm = await jetstreamManager(nc);
  const stream = await jsm.streams.find(topic);
  const durable = `baseline_${randomBytes(3).toString('hex')}`;
  await jsm.consumers.add(stream, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: topic,
    max_ack_pending: 10_000,
  });
  const c = await jetstream(nc).consumers.get(stream, durable);
  const t0 = performance.now();
  const messages = await c.consume({ max_messages: 1024 }); // same buffer as partita's maxInFlight
  let count = 0;
  for await (const m of messages) {
    const r = handle();
    if (r) await r;
    m.ack();
    if (++count >= n) break;
  }
  await nc.flush();
  const secs = (performance.now() - t0) / 1000;
  const rss = rssMb();
  await messages.close();
  await nc.close();
  return {
    name: '',
    msgsPerSec: n / secs,
    p50Ms: null,
    p99Ms: null,
    rssMb: rss,
    seconds: Math.round(secs * 1000) / 1000,
  };
}

async function partita(
  topic: string,
  n: number,
  ordering: 'none' | 'key',
  maxInFlight: number,
  handle: () => Promise<void> | void,
): Promise<BenchRow> {
  const app = createApp({
    transport: natsTransport({ servers }),
    logger: quiet,
    handlers: [
      defineHandler({
        name: `bench_${randomBytes(3).toString('hex')}`,
        topic,
        ordering,
        maxInFlight,
        timeoutMs: 30_000,
        handle,
      }),
    ],
  });
  const t0 = performance.now();
  await app.start();
  while (app.inspect().metrics.succeeded < n) await sleep(5);
  const secs = (performance.now() - t0) / 1000;
  const rss = rssMb();
  await app.stop({ drainTimeoutMs: 5000 });
  return {
    name: '',
    msgsPerSec: n / secs,
    p50Ms: null,
    p99Ms: null,
    rssMb: rss,
    seconds: Math.round(secs * 1000) / 1000,
  };
}

async function cleanup(topic: string): Promise<void> {
  const nc = await connect({ servers });
  const jsm = await jetstreamManager(nc);
  const s = await jsm.streams.find(topic).catch(() => undefined);
  if (s) await jsm.streams.delete(s);
  await nc.close();
}

async function throughput(n: number): Promise<{ rows: BenchRow[]; ratio: number }> {
  const topic = `bench.nats.tp.${randomBytes(3).toString('hex')}`;
  await fill(topic, n, 1024, 0);
  log(`filled ${n}`);
  try {
    // The baseline runs before and after partita (server page cache and JIT warm for the second);
    // the faster baseline run is reported, so the ratio is conservative.
    const js1 = await plainLoop(topic, n, () => undefined);
    log(`jetstream ${Math.round(js1.msgsPerSec)} msg/s`);
    const pa = await partita(topic, n, 'none', 1024, () => undefined);
    log(`partita ${Math.round(pa.msgsPerSec)} msg/s`);
    const js2 = await plainLoop(topic, n, () => undefined);
    log(`jetstream ${Math.round(js2.msgsPerSec)} msg/s`);
    const js = js2.msgsPerSec > js1.msgsPerSec ? js2 : js1;
    return {
      rows: [
        { ...pa, name: 'partita' },
        { ...js, name: 'jetstream' },
      ],
      ratio: pa.msgsPerSec / js.msgsPerSec,
    };
  } finally {
    await cleanup(topic);
  }
}

async function keyedIo(n: number): Promise<{ rows: BenchRow[]; ratio: number }> {
  const topic = `bench.nats.kio.${randomBytes(3).toString('hex')}`;
  await fill(topic, n, 100, 100);
  try {
    const key = await partita(topic, n, 'key', 256, () => sleep(5));
    const seq = await plainLoop(topic, n, () => sleep(5));
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
    const r = await throughput(nArg ?? 100_000);
    rows.push(...r.rows);
    ratios['partita/jetstream'] = r.ratio;
  }
  if (!which || which === 'keyed-io') {
    const r = await keyedIo(nArg ?? 5000);
    rows.push(...r.rows);
    ratios['key/sequential'] = r.ratio;
  }
  writeReport({
    scenario: 'nats',
    results: rows,
    ratios,
    targets: { 'partita/jetstream': '>= 0.9', 'key/sequential': '>= 10' },
  });
}
