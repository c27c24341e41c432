/**
 * `npm run bench -- kafka [throughput|keyed-io]`: partita on a real Kafka
 * (tools/kafka starts one on 127.0.0.1:19092 unless one runs there) against
 * plain kafkajs on the same topic data, in the same run.
 * - throughput: 200,000 × 1 KiB JSON over 4 partitions, no-op handler; partita vs
 *   kafkajs eachBatch with manual offset commits. Both sides hand the handler
 *   the decoded value (JSON, the same codec), as the embedded scenario does: a
 *   kafkajs user who wants the payload parses it too. Three rounds, alternating
 *   sides, each a fresh group on the same data; medians reported.
 *   Target partita/kafkajs ≥ 0.9. Row `platformatic`: a plain consumer loop
 *   on @platformatic/kafka (the client that may become a second one for the
 *   connector: kafkajs has had no release since 2023) over the same data, in
 *   the same rounds; ratio partita/platformatic, no target yet.
 * - keyed-io: 10,000 messages, 1 partition, 100 keys, handler awaits 5 ms;
 *   partita `ordering: 'key'` vs kafkajs eachMessage. Target key/eachMessage ≥ 10.
 */
import kafkajs from 'kafkajs';
import { Consumer, MessagesStreamModes } from '@platformatic/kafka';
import { createApp, createConsoleLogger, defineHandler, jsonCodec } from '@partita/core';
import { kafkaTransport } from '@partita/kafka';
import { rssMb, writeReport, type BenchRow } from '../report.js';

const { Kafka, logLevel } = kafkajs;
const quiet = createConsoleLogger({ level: 'error' });
const tag = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

async function broker(): Promise<{ brokers: string[]; stop(): Promise<void> }> {
  const url = new URL('../../../kafka/kafka.mjs', import.meta.url);
  const mod = (await import(url.href)) as { startKafka(): Promise<{ brokers: string[]; stop(): Promise<void> }> };
  return mod.startKafka();
}

async function fill(
  brokers: string[],
  topic: string,
  partitions: number,
  count: number,
  size: number,
  keys: number | undefined,
): Promise<void> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'bench-fill' });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  // valid JSON of `size` bytes (the app decodes with the JSON codec)
  const value = Buffer.from(JSON.stringify({ p: 'x'.repeat(Math.max(0, size - 8)) }));
  for (let i = 0; i < count; i += 2000) {
    const n = Math.min(2000, count - i);
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: n }, (_, j) => ({
        key: keys ? `k${(i + j) % keys}` : null,
        value: keys ? Buffer.from(JSON.stringify({ n: i + j })) : value,
      })),
    });
  }
  await producer.disconnect();
}

/** kafkajs baseline; resolves with msgs/s from first record to last. */
async function kafkajsRun(
  brokers: string[],
  topic: string,
  count: number,
  mode: 'eachBatch' | 'eachMessage',
  delayMs: number,
): Promise<number> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'bench-kafkajs' });
  const consumer = kafka.consumer({ groupId: `bench-kafkajs-${tag()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let t0 = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const tick = () => {
    if (seen === 0) t0 = performance.now();
    if (++seen === count) done();
  };
  if (mode === 'eachBatch') {
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        for (const m of batch.messages) {
          handleValue(jsonCodec.decode(m.value!));
          tick();
          payload.resolveOffset(m.offset);
        }
        await consumer.commitOffsets([
          { topic, partition: batch.partition, offset: String(BigInt(batch.lastOffset()) + 1n) },
        ]);
      },
    });
  } else {
    await consumer.run({
      eachMessage: async () => {
        if (seen === 0) t0 = performance.now();
        await new Promise((r) => setTimeout(r, delayMs));
        tick();
      },
    });
  }
  await finished;
  const secs = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  return count / secs;
}

/**
 * @platformatic/kafka baseline: the consumer's message stream, each value
 * decoded and handed to the no-op handler, offsets committed (manual, one
 * commit of every partition's next offset per 1,000 messages and at the end,
 * like kafkajs eachBatch commits per batch). Fetch wait as on the other sides.
 */
async function platformaticRun(brokers: string[], topic: string, count: number): Promise<number> {
  const consumer = new Consumer({
    groupId: `bench-platformatic-${tag()}`,
    clientId: 'bench-platformatic',
    bootstrapBrokers: brokers,
    maxWaitTime: 100,
    autocommit: false,
  });
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
  let seen = 0;
  let t0 = 0;
  const next = new Map<number, { offset: bigint; leaderEpoch: number }>();
  const commits: Promise<void>[] = [];
  const commit = (): void => {
    const offsets = [...next].map(([partition, o]) => ({ topic, partition, ...o }));
    next.clear();
    if (offsets.length > 0) commits.push(consumer.commit({ offsets }));
  };
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('data', (m: { value: Buffer; partition: number; offset: bigint; metadata: unknown }) => {
      if (seen === 0) t0 = performance.now();
      handleValue(jsonCodec.decode(m.value));
      next.set(m.partition, { offset: m.offset + 1n, leaderEpoch: -1 });
      if (++seen % 1000 === 0 || seen === count) commit();
      if (seen === count) resolve();
    });
  });
  await Promise.all(commits);
  const secs = (performance.now() - t0) / 1000;
  await stream.close();
  await consumer.close();
  return count / secs;
}

async function partitaRun(
  brokers: string[],
  topic: string,
  count: number,
  ordering: 'key' | 'none',
  delayMs: number,
  maxInFlight: number,
): Promise<number> {
  const transport = kafkaTransport({
    brokers,
    clientId: 'bench-partita',
    provisionTopics: false,
    retryTiersMs: [],
    dlqSuffix: false,
    maxWaitTimeMs: 100,
  });
  let seen = 0;
  let t0 = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const app = createApp({
    transport,
    logger: quiet,
    handlers: [
      defineHandler({
        name: `bench-partita-${tag()}`,
        topic,
        ordering,
        maxInFlight,
        deadLetter: false,
        handle:
          delayMs > 0
            ? async () => {
                if (seen === 0) t0 = performance.now();
                await new Promise((r) => setTimeout(r, delayMs));
                if (++seen === count) done();
              }
            : (m) => {
                handleValue(m.value);
                if (seen === 0) t0 = performance.now();
                if (++seen === count) done();
              },
      }),
    ],
  });
  await app.start();
  await finished;
  const secs = (performance.now() - t0) / 1000;
  await app.stop({ drainTimeoutMs: 5_000 });
  return count / secs;
}

const row = (name: string, msgsPerSec: number, rounds?: number[]): BenchRow => ({
  name,
  msgsPerSec,
  p50Ms: null,
  p99Ms: null,
  rssMb: rssMb(),
  ...(rounds ? { rounds: rounds.map(Math.round) } : {}),
});

/** The no-op handler both sides call with the decoded value. */
let sink: unknown;
function handleValue(value: unknown): void {
  sink = value;
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

export async function run(args: string[]): Promise<void> {
  const which = args[0] ?? 'all';
  const scale = Number(args[1] ?? 1); // e.g. 0.1 for a quick smoke run
  const n = (x: number) => Math.max(100, Math.round(x * scale));
  const say = (m: string) => console.error(`[bench kafka] ${m}`);
  const kafka = await broker();
  try {
    const results: BenchRow[] = [];
    const ratios: Record<string, number> = {};
    if (which === 'all' || which === 'throughput') {
      const topic = `bench-tp-${tag()}`;
      say(`filling ${topic}`);
      await fill(kafka.brokers, topic, 4, n(200_000), 1024, undefined);
      const bases: number[] = [];
      const ourss: number[] = [];
      const plats: number[] = [];
      for (let round = 0; round < 3; round++) {
        say(`round ${round + 1}: kafkajs eachBatch`);
        bases.push(await kafkajsRun(kafka.brokers, topic, n(200_000), 'eachBatch', 0));
        say(`round ${round + 1}: partita`);
        ourss.push(await partitaRun(kafka.brokers, topic, n(200_000), 'none', 0, 2048));
        say(`round ${round + 1}: @platformatic/kafka`);
        plats.push(await platformaticRun(kafka.brokers, topic, n(200_000)));
      }
      const ours = median(ourss);
      const base = median(bases);
      const plat = median(plats);
      results.push(row('partita', ours, ourss), row('kafkajs', base, bases), row('platformatic', plat, plats));
      ratios['partita/kafkajs'] = ours / base;
      ratios['partita/platformatic'] = ours / plat;
      void sink;
    }
    if (which === 'all' || which === 'keyed-io') {
      const topic = `bench-keyed-${tag()}`;
      say(`filling ${topic}`);
      await fill(kafka.brokers, topic, 1, n(10_000), 0, 100);
      say('partita key');
      const ours = await partitaRun(kafka.brokers, topic, n(10_000), 'key', 5, 256);
      say('kafkajs eachMessage');
      const base = await kafkajsRun(kafka.brokers, topic, n(10_000), 'eachMessage', 5);
      results.push(row('key', ours), row('eachMessage', base));
      ratios['key/eachMessage'] = ours / base;
    }
    writeReport({
      scenario: 'kafka',
      results,
      ratios,
      targets: { 'partita/kafkajs': '>= 0.9', 'partita/platformatic': 'none yet', 'key/eachMessage': '>= 10' },
    });
  } finally {
    await kafka.stop();
  }
}
