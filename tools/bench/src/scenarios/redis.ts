/**
 * `npm run bench -- redis [throughput|bullmq|keyed-io] [--n 100000]`
 *
 * throughput: 100,000 × 1 KiB entries in one partition, no-op handler.
 *   partita (ordering 'none') against a plain ioredis loop: `XREADGROUP
 *   COUNT 100` and one pipelined `XACK` per batch, decoding each value with
 *   the same JSON codec (equal work, docs/architecture.md decision 17). Both
 *   read the same stream with their own consumer group. Three interleaved
 *   rounds each; the medians are compared (all rounds are in the JSON).
 * bullmq: the same 100,000 messages as BullMQ jobs (a distinct prefix),
 *   no-op processor, concurrency 50, against the partita figure of the same run.
 * keyed-io: 5,000 entries over 100 keys, the handler awaits 5 ms: partita
 *   'key' ordering against the plain loop handling one entry at a time.
 * Needs Redis at PARTITA_REDIS_URL (default redis://127.0.0.1:6379); every
 * key lives under a per-run prefix, deleted at the end (never FLUSH).
 */
import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createConsoleLogger, createApp, defineHandler } from '@partita/core';
import { redisTransport, RedisKeys } from '@partita/redis';
import { rssMb, writeReport, type BenchRow } from '../report.js';

const url = process.env.PARTITA_REDIS_URL ?? 'redis://127.0.0.1:6379';
const quiet = createConsoleLogger({ level: 'silent' });
const log = (m: string): void => {
  if (process.env.BENCH_VERBOSE) console.error(m);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const decoder = new TextDecoder();

interface Measured {
  readonly msgsPerSec: number;
  readonly p50Ms: null;
  readonly p99Ms: null;
  readonly rssMb: number;
  readonly seconds: number;
}

function row(n: number, t0: number): Measured {
  const secs = (performance.now() - t0) / 1000;
  return {
    msgsPerSec: n / secs,
    p50Ms: null,
    p99Ms: null,
    rssMb: rssMb(),
    seconds: Math.round(secs * 1000) / 1000,
  };
}

async function fill(prefix: string, topic: string, n: number, size: number, keys: number): Promise<void> {
  const t = redisTransport({ url, keyPrefix: prefix, maxLen: 10 * n });
  const value = new TextEncoder().encode(JSON.stringify('x'.repeat(size - 2))); // JSON, the app's default codec
  for (let i = 0; i < n; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 1000); j++)
      batch.push({ topic, key: keys > 0 ? `k${j % keys}` : undefined, value, headers: {} });
    await t.publish(batch);
  }
  await t.close();
}

/** The baseline: XREADGROUP COUNT 100, decode and handle each entry in turn, one pipelined XACK per batch. */
async function plainLoop(stream: string, n: number, handle: () => Promise<void> | void): Promise<BenchRow> {
  const r = new Redis(url);
  const group = `baseline_${randomBytes(3).toString('hex')}`;
  await r.xgroup('CREATE', stream, group, '0');
  const t0 = performance.now();
  let count = 0;
  while (count < n) {
    const res = (await r.callBuffer(
      'XREADGROUP',
      'GROUP',
      group,
      'c',
      'COUNT',
      '100',
      'BLOCK',
      '1000',
      'STREAMS',
      stream,
      '>',
    )) as [Buffer, [Buffer, Buffer[]][]][] | null;
    if (!res) continue;
    const entries = res[0]![1];
    const ids: Buffer[] = [];
    for (const [id, fields] of entries) {
      for (let i = 0; i + 1 < fields.length; i += 2)
        if (fields[i]!.toString() === 'v') JSON.parse(decoder.decode(fields[i + 1]));
      const p = handle();
      if (p) await p;
      ids.push(id);
    }
    void r.xack(stream, group, ...ids);
    count += entries.length;
  }
  await r.ping(); // every XACK before it has been answered
  const out = row(n, t0);
  r.disconnect();
  return { ...out, name: '' };
}

async function partita(
  prefix: string,
  topic: string,
  n: number,
  ordering: 'none' | 'key',
  maxInFlight: number,
  handle: () => Promise<void> | void,
): Promise<BenchRow> {
  const app = createApp({
    transport: redisTransport({ url, keyPrefix: prefix, maxLen: 10 * n }),
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
  const out = row(n, t0);
  await app.stop({ drainTimeoutMs: 5000 });
  return { ...out, name: '' };
}

/** The same messages as BullMQ jobs: added first (not timed), then a worker at concurrency 50 runs a no-op processor. */
async function bullmq(n: number, size: number): Promise<BenchRow> {
  const prefix = `partita-bench-bull-${randomBytes(3).toString('hex')}`;
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue('bench', { connection, prefix });
  const data = { v: 'x'.repeat(size - 8) };
  try {
    for (let i = 0; i < n; i += 1000) {
      await queue.addBulk(
        Array.from({ length: Math.min(1000, n - i) }, () => ({
          name: 'm',
          data,
          opts: { removeOnComplete: true, removeOnFail: true },
        })),
      );
    }
    log(`bullmq: ${n} jobs added`);
    let done = 0;
    const t0 = performance.now();
    const worker = new Worker('bench', () => Promise.resolve(), {
      connection: new Redis(url, { maxRetriesPerRequest: null }),
      prefix,
      concurrency: 50,
    });
    worker.on('completed', () => {
      done++;
    });
    while (done < n) await sleep(5);
    const out = row(n, t0);
    await worker.close();
    return { ...out, name: '' };
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    connection.disconnect();
  }
}

async function deletePrefix(prefix: string): Promise<void> {
  const r = new Redis(url);
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await r.unlink(...keys);
  } while (cursor !== '0');
  r.disconnect();
}

export async function run(args: string[]): Promise<void> {
  const which = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a));
  const nIdx = args.indexOf('--n');
  const nArg = nIdx >= 0 ? Number(args[nIdx + 1]) : undefined;
  const rows: BenchRow[] = [];
  const ratios: Record<string, number> = {};
  const prefix = `partita-bench-${randomBytes(3).toString('hex')}:`;
  const keys = new RedisKeys(prefix);
  try {
    if (!which || which === 'throughput' || which === 'bullmq') {
      const n = nArg ?? 100_000;
      const topic = 'tp';
      await fill(prefix, topic, n, 1024, 0);
      log(`filled ${n}`);
      // Three interleaved rounds (baseline, partita, ...): on a shared machine one run can be slowed by
      // others' work; the median of each side is reported and every round is kept in the JSON.
      const ios: BenchRow[] = [];
      const pas: BenchRow[] = [];
      for (let round = 0; round < 3; round++) {
        ios.push(await plainLoop(keys.stream(topic, 0), n, () => undefined));
        log(`ioredis ${Math.round(ios.at(-1)!.msgsPerSec)} msg/s`);
        pas.push(await partita(prefix, topic, n, 'none', 1024, () => undefined));
        log(`partita ${Math.round(pas.at(-1)!.msgsPerSec)} msg/s`);
      }
      const median = (rs: BenchRow[]): BenchRow => ({
        ...[...rs].sort((a, b) => a.msgsPerSec - b.msgsPerSec)[1]!,
        rounds: rs.map((r) => Math.round(r.msgsPerSec)),
      });
      const io = median(ios);
      const pa = median(pas);
      rows.push({ ...pa, name: 'partita' }, { ...io, name: 'ioredis' });
      ratios['partita/ioredis'] = pa.msgsPerSec / io.msgsPerSec;
      if (which !== 'throughput') {
        const bull = await bullmq(n, 1024);
        log(`bullmq ${Math.round(bull.msgsPerSec)} msg/s`);
        rows.push({ ...bull, name: 'bullmq' });
        ratios['partita/bullmq'] = pa.msgsPerSec / bull.msgsPerSec;
      }
    }
    if (!which || which === 'keyed-io') {
      const n = nArg ?? 5000;
      const topic = 'kio';
      await fill(prefix, topic, n, 100, 100);
      const key = await partita(prefix, topic, n, 'key', 256, () => sleep(5));
      const seq = await plainLoop(keys.stream(topic, 0), n, () => sleep(5));
      rows.push({ ...key, name: 'key' }, { ...seq, name: 'sequential' });
      ratios['key/sequential'] = key.msgsPerSec / seq.msgsPerSec;
    }
  } finally {
    await deletePrefix(prefix);
  }
  writeReport({
    scenario: 'redis',
    results: rows,
    ratios,
    targets: { 'partita/ioredis': '>= 0.9', 'partita/bullmq': '>= 5', 'key/sequential': '>= 10' },
  });
}
