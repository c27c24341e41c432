/**
 * `npm run bench -- soak [--messages N]`
 *
 * 10,000,000 messages of 1 KiB (default; `--messages N` for a short run)
 * through a default `createMemoryBroker()` with one key-ordered handler
 * (createApp + memoryTransport, 1,000 keys); 1 % of the messages throw
 * `NonRetryableError` and are dead-lettered to `soak.dlq`. The producer
 * publishes batches of 1,000 and never runs more than 20,000 messages ahead of
 * the handler (backpressure from the consumer side; a `BackpressureError`
 * fails the run). Memory must stay flat: RSS after the whole run against RSS
 * after the first 1,000,000 handled, target ≤ 1.3.
 */
import { createConsoleLogger, createApp, defineHandler, NonRetryableError, type Message } from '@partita/core';
import { createMemoryBroker, memoryTransport } from '@partita/memory';
import { rssMb, writeReport } from '../report.js';

const silent = createConsoleLogger({ level: 'silent' });
const BATCH = 1000;
const WINDOW = 20_000;
const KEYS = 1000;
const MILLION = 1_000_000;

function option(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${String(args[i + 1])}`);
  return v;
}

/** A 1 KiB JSON document (the default codec decodes it in the handler). */
function template(): Buffer {
  const head = '{"pad":"';
  const tail = '"}';
  return Buffer.from(head + 'x'.repeat(1024 - head.length - tail.length) + tail);
}

export async function run(args: string[]): Promise<void> {
  const total = option(args, '--messages', 10 * MILLION);
  const topic = 'soak';
  const broker = createMemoryBroker();
  const doc = template();
  const keys = Array.from({ length: KEYS }, (_, k) => `key-${k}`);
  let handled = 0;
  let failed = 0;
  let wake: (() => void) | undefined;
  let wakeAt = Infinity;
  const app = createApp({
    transport: memoryTransport(broker),
    logger: silent,
    handlers: [
      defineHandler({
        name: 'soak',
        topic,
        ordering: 'key',
        handle: (m: Message) => {
          handled++;
          if (handled >= wakeAt) {
            wakeAt = Infinity;
            wake!();
          }
          // one message in a hundred is poison (offset-based: one partition by default)
          if (Number(m.offset) % 100 === 99) {
            failed++;
            throw new NonRetryableError('poison');
          }
        },
      }),
    ],
  });
  await app.start();

  const samples: { handled: number; rssMb: number; heapMb: number }[] = [];
  let rssAt1M: number | undefined;
  let nextSample = MILLION;
  const sample = (): void => {
    const heapMb = Math.round((process.memoryUsage().heapUsed / 2 ** 20) * 10) / 10;
    samples.push({ handled, rssMb: rssMb(), heapMb });
    console.log(
      `handled ${handled.toLocaleString('en')}: rss ${rssMb()} MiB, heap ${heapMb} MiB, broker ${Math.round(broker.stats().bytes / 2 ** 20)} MiB counted`,
    );
  };
  const waitHandled = (atLeast: number): Promise<void> => {
    if (handled >= atLeast) return Promise.resolve();
    return new Promise<void>((resolve) => {
      wake = resolve;
      wakeAt = atLeast;
    });
  };

  const start = performance.now();
  let published = 0;
  while (published < total) {
    // consumer-side backpressure: never more than WINDOW messages ahead of the handler
    if (published - handled > WINDOW) await waitHandled(published - WINDOW / 2);
    const n = Math.min(BATCH, total - published);
    const records = new Array(n);
    for (let i = 0; i < n; i++) {
      const seq = published + i;
      records[i] = {
        topic,
        key: keys[seq % KEYS]!,
        value: Buffer.from(doc),
        headers: { 'content-type': 'application/json' },
      };
    }
    // A publish error (BackpressureError included) ends the run: the window above keeps the broker within limits.
    await broker.publish(records);
    published += n;
    if (handled >= nextSample) {
      sample();
      if (rssAt1M === undefined) rssAt1M = rssMb();
      nextSample += MILLION;
    }
  }
  await waitHandled(total);
  const secs = (performance.now() - start) / 1000;
  // let the last dead-letter copies and commits land
  await new Promise((r) => setTimeout(r, 200));
  sample();
  const rssEnd = rssMb();
  rssAt1M ??= rssEnd;
  const stats = broker.stats();
  const dlq = stats.topics.find((t) => t.name === `${topic}.dlq`);
  await app.stop();
  await broker.close();

  writeReport({
    scenario: 'soak',
    results: [
      {
        name: 'soak',
        msgsPerSec: Math.round(total / secs),
        p50Ms: null,
        p99Ms: null,
        rssMb: rssEnd,
        rssAt1MMb: rssAt1M,
        rssEndMb: rssEnd,
        messages: total,
        valueBytes: doc.byteLength,
        keys: KEYS,
        ordering: 'key',
        deadLettered: failed,
        deadLettersIndexed: stats.deadLetters.total,
        deadLettersRecorded: stats.deadLetters.recordedTotal,
        dlqRetained: dlq?.messages ?? 0,
        brokerCountedMb: Math.round((stats.bytes / 2 ** 20) * 10) / 10,
        samples,
      },
    ],
    ratios: { 'rss-end/rss-1m': rssEnd / rssAt1M },
    targets: { 'rss-end/rss-1m': '≤ 1.3, no BackpressureError' },
  });
}
