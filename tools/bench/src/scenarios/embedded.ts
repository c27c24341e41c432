/**
 * `npm run bench -- embedded`
 *
 * throughput: 1,000,000 small messages on 4 partitions, no-op handler, key
 *   ordering: partita (createApp + memoryTransport) against a plain loop over
 *   the memory broker's own fetch/commit API calling the same handler inline.
 *   Both decode with the same codec. `npm run bench -- embedded [count]
 *   [rounds]`: rounds (default 5) run raw and partita back to back on fresh
 *   groups; `partita/raw` is the median of the rounds' ratios, `cpu
 *   partita/raw` the least CPU per message of raw over partita's; every round
 *   is kept in the rows. Target: partita ≥ 300K msg/s and partita/raw ≥ 0.8.
 * keyed-io: 20,000 messages, 1 partition, 1,000 keys, handler awaits a 1 ms
 *   timer: ordering `key` (maxInFlight 64) against ordering `partition`.
 *   Target: key/partition ≥ 30.
 */
import { createConsoleLogger, createApp, defineHandler, jsonCodec, type Message } from '@partita/core';
import { createMemoryBroker, memoryTransport, type MemoryBroker } from '@partita/memory';
import { median, pairedRounds, roundsForRow, startMeasure, type RoundMeasure } from '../paired-rounds.js';
import { rssMb, writeReport, type BenchRow } from '../report.js';
import { rawMemoryPass } from '../raw/raw-memory-pass.js';

const silent = createConsoleLogger({ level: 'silent' });

async function fill(broker: MemoryBroker, topic: string, count: number, keys: number): Promise<void> {
  const batch = 10_000;
  for (let i = 0; i < count; i += batch) {
    const records = [];
    for (let j = i; j < Math.min(count, i + batch); j++) {
      const key = `k-${j % keys}`;
      records.push({
        topic,
        key,
        value: jsonCodec.encode({ i: j, key, amount: j % 100 }),
        headers: { 'content-type': 'application/json' },
      });
    }
    await broker.publish(records);
  }
}

/**
 * Make `groups` known to the broker before any of them reads: the broker frees
 * records once every group it knows has committed past them, so a group that
 * starts later would otherwise find the topic already consumed.
 */
function register(broker: MemoryBroker, topic: string, partitions: number, groups: readonly string[]): void {
  for (const group of groups)
    for (let p = 0; p < partitions; p++) broker.commit({ group, topic, partition: p, offset: 0 });
}

async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}

/** Handlers count what they handled here; both sides call the very same function. */
const counter = { handled: 0 };

/** partita: the full runtime on the memory transport; measured from `app.start()` to the last message handled. */
async function runPartita(
  broker: MemoryBroker,
  topic: string,
  count: number,
  handler: (m: Message) => Promise<void>,
  opts: { ordering: 'key' | 'partition'; maxInFlight?: number; group: string },
): Promise<RoundMeasure> {
  counter.handled = 0;
  const app = createApp({
    transport: memoryTransport(broker),
    logger: silent,
    handlers: [
      defineHandler({
        name: opts.group,
        topic,
        ordering: opts.ordering,
        ...(opts.maxInFlight ? { maxInFlight: opts.maxInFlight } : {}),
        handle: handler,
      }),
    ],
  });
  const stop = startMeasure();
  await app.start();
  await waitFor(() => counter.handled >= count);
  const measure = stop(count);
  await app.stop();
  return measure;
}

/** raw: fetch a batch per partition, decode, await the handler per message, commit. */
async function runRaw(
  broker: MemoryBroker,
  topic: string,
  partitions: number,
  count: number,
  handler: (m: Message) => Promise<void>,
  group: string,
): Promise<RoundMeasure> {
  counter.handled = 0;
  const stop = startMeasure();
  while (counter.handled < count) {
    for (let p = 0; p < partitions; p++) await rawMemoryPass(broker, group, topic, p, handler);
  }
  return stop(count);
}

export async function run(args: string[]): Promise<void> {
  const count = Number(args[0] ?? 1_000_000);
  const rounds = Number(args[1] ?? 5);
  // eslint-disable-next-line @typescript-eslint/require-await -- measured as it is written: an async handler
  const noop = async (_m: Message): Promise<void> => {
    counter.handled++;
  };
  const rows: BenchRow[] = [];

  // throughput: one filled topic, read by a fresh group per run; a warm-up pass of each first.
  const broker = createMemoryBroker({ defaultPartitions: 4, maxBytes: 2 ** 31 });
  await fill(broker, 'warm', 100_000, 1000);
  register(broker, 'warm', 4, ['raw-warm', 'partita-warm']);
  await runRaw(broker, 'warm', 4, 100_000, noop, 'raw-warm');
  await runPartita(broker, 'warm', 100_000, noop, { ordering: 'key', group: 'partita-warm' });
  await fill(broker, 'bench', count, 1000);
  const groups = Array.from({ length: rounds }, (_, r) => [`raw-${r}`, `partita-${r}`]).flat();
  register(broker, 'bench', 4, groups);
  const paired = await pairedRounds(
    rounds,
    (r) => runRaw(broker, 'bench', 4, count, noop, `raw-${r}`),
    (r) => runPartita(broker, 'bench', count, noop, { ordering: 'key', group: `partita-${r}` }),
  );
  console.log(`partita/raw per round: ${paired.ratios.map((r) => r.toFixed(3)).join(', ')}`);
  const rss = rssMb();
  rows.push({
    name: 'partita',
    msgsPerSec: Math.round(median(paired.subject.map((m) => m.msgsPerSec))),
    p50Ms: null,
    p99Ms: null,
    rssMb: rss,
    messages: count,
    partitions: 4,
    ordering: 'key',
    rounds: roundsForRow(paired.subject),
  });
  rows.push({
    name: 'raw',
    msgsPerSec: Math.round(median(paired.baseline.map((m) => m.msgsPerSec))),
    p50Ms: null,
    p99Ms: null,
    rssMb: rss,
    messages: count,
    partitions: 4,
    rounds: roundsForRow(paired.baseline),
  });
  await broker.close();

  // keyed-io: handler awaits a 1 ms timer.
  const io = createMemoryBroker({ defaultPartitions: 1 });
  const ioCount = 20_000;
  await fill(io, 'io', ioCount, 1000);
  register(io, 'io', 1, ['io-key', 'io-partition']);
  const sleep1 = async (): Promise<void> => {
    await new Promise((r) => setTimeout(r, 1));
    counter.handled++;
  };
  const key = (await runPartita(io, 'io', ioCount, sleep1, { ordering: 'key', maxInFlight: 64, group: 'io-key' }))
    .msgsPerSec;
  const partition = (await runPartita(io, 'io', ioCount, sleep1, { ordering: 'partition', group: 'io-partition' }))
    .msgsPerSec;
  await io.close();
  rows.push({
    name: 'key',
    msgsPerSec: Math.round(key),
    p50Ms: null,
    p99Ms: null,
    rssMb: rssMb(),
    messages: ioCount,
    keys: 1000,
    maxInFlight: 64,
  });
  rows.push({
    name: 'partition',
    msgsPerSec: Math.round(partition),
    p50Ms: null,
    p99Ms: null,
    rssMb: rssMb(),
    messages: ioCount,
    keys: 1000,
  });

  writeReport({
    scenario: 'embedded',
    results: rows,
    ratios: {
      'partita/raw': paired.ratio,
      'cpu partita/raw': paired.cpuRatio,
      'key/partition': key / partition,
    },
    targets: {
      'partita/raw': '≥ 0.8 (median of the rounds) and partita ≥ 300,000 msg/s',
      'cpu partita/raw': 'reported',
      'key/partition': '≥ 30',
    },
  });
}
