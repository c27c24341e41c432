import { jsonCodec, type OutboundRecord } from '@partita/core';
import type { LatencyPhase, LatencyTarget } from './latency-target.js';
import { sleep } from './latency-target.js';
import { SegmentTrace } from './segment-trace.js';

/** Publishes a phase may have waiting for the broker's confirmation at once. */
const MAX_PUBLISHES_IN_FLIGHT = 8;
/** Padding: each message is ~100 bytes of JSON. */
const PAD = 'x'.repeat(72);
/** How long the handler may take to catch up once the publisher stopped. */
const DRAIN_DEADLINE_MS = 60_000;

/** A batch of `n` records stamped now (one encoded value shared by the batch: they were published together). */
function stamped(topic: string, first: number, n: number): OutboundRecord[] {
  const value = jsonCodec.encode({ t: performance.now(), p: PAD });
  const records: OutboundRecord[] = new Array<OutboundRecord>(n);
  for (let i = 0; i < n; i++) records[i] = { topic, key: `k${(first + i) % 1000}`, value, headers: {} };
  return records;
}

/** Publish with a bounded number of confirmations outstanding; the first publish error is kept and rethrown. */
class Publisher {
  published = 0;
  inFlight = 0;
  error: unknown;
  constructor(
    private readonly phase: LatencyPhase,
    private readonly topic: string,
  ) {}

  get full(): boolean {
    return this.inFlight >= MAX_PUBLISHES_IN_FLIGHT;
  }

  send(n: number): void {
    if (this.error !== undefined) throw this.error as Error;
    const records = stamped(this.topic, this.published, n);
    this.published += n;
    this.inFlight++;
    this.phase.publish(records).then(
      () => this.inFlight--,
      (err: unknown) => {
        this.inFlight--;
        this.error ??= err;
      },
    );
  }

  async settled(): Promise<void> {
    while (this.inFlight > 0) await sleep(1);
    if (this.error !== undefined) throw this.error as Error;
  }
}

async function drain(pub: Publisher, handled: () => number): Promise<number> {
  await pub.settled();
  const deadline = performance.now() + DRAIN_DEADLINE_MS;
  while (handled() < pub.published && performance.now() < deadline) await sleep(5);
  return pub.published - handled();
}

export interface MaxResult {
  readonly msgsPerSec: number;
  readonly published: number;
  readonly unhandled: number;
}

/**
 * The transport's maximum with publisher and consumer in this process: the
 * publisher keeps up to `window` messages ahead of the handler, in batches;
 * the rate is what the handler got through after `warmupMs`, over `measureMs`.
 */
export async function measureMax(
  target: LatencyTarget,
  side: 'raw' | 'partita',
  opts: { warmupMs: number; measureMs: number },
): Promise<MaxResult> {
  let handled = 0;
  const phase = await target.phase(side, () => {
    handled++;
  });
  try {
    const pub = new Publisher(phase, phase.topic);
    const { batch, window } = target.saturation;
    const t0 = performance.now();
    const from = t0 + opts.warmupMs;
    const to = from + opts.measureMs;
    let atFrom = -1;
    let atTo = -1;
    for (;;) {
      const now = performance.now();
      if (atFrom < 0 && now >= from) atFrom = handled;
      if (now >= to) {
        atTo = handled;
        break;
      }
      if (!pub.full && pub.published - handled < window) pub.send(batch);
      else await sleep(1);
    }
    const unhandled = await drain(pub, () => handled);
    return { msgsPerSec: (atTo - atFrom) / (opts.measureMs / 1000), published: pub.published, unhandled };
  } finally {
    await phase.close();
  }
}

export interface LatencyResult {
  readonly targetRate: number;
  readonly achievedRate: number;
  readonly samples: Float64Array;
  readonly published: number;
  readonly unhandled: number;
}

/**
 * Publish at `rate` msg/s (every millisecond timer turn, what is due, stamped
 * at publish) for `warmupMs + durationMs`; the handler records
 * publish→handler-start of the messages published after the warm-up.
 */
export async function fixedRate(
  target: LatencyTarget,
  side: 'raw' | 'partita',
  rate: number,
  opts: { warmupMs: number; durationMs: number },
): Promise<LatencyResult> {
  const capacity = Math.ceil((rate * opts.durationMs) / 1000) * 2 + 10_000;
  const samples = new Float64Array(capacity);
  const trace = SegmentTrace.fromEnv(target.name, side);
  let count = 0;
  let handled = 0;
  let recordFrom = Infinity;
  let recordTo = Infinity;
  const phase = await target.phase(side, (v) => {
    handled++;
    const t = v.t;
    trace?.handled(t, performance.now() - t);
    if (t >= recordFrom && t < recordTo && count < capacity) samples[count++] = performance.now() - t;
  });
  try {
    const pub = new Publisher(phase, phase.topic);
    const t0 = performance.now();
    recordFrom = t0 + opts.warmupMs;
    recordTo = recordFrom + opts.durationMs;
    let publishedAtFrom = -1;
    for (;;) {
      const now = performance.now();
      trace?.turn(now);
      if (publishedAtFrom < 0 && now >= recordFrom) publishedAtFrom = pub.published;
      if (now >= recordTo) break;
      const due = Math.floor((rate * (now - t0)) / 1000) - pub.published;
      if (due > 0 && !pub.full) pub.send(due);
      await sleep(1);
    }
    const achievedRate = (pub.published - publishedAtFrom) / (opts.durationMs / 1000);
    const unhandled = await drain(pub, () => handled);
    trace?.write(recordFrom, pub.published);
    return { targetRate: rate, achievedRate, samples: samples.subarray(0, count), published: pub.published, unhandled };
  } finally {
    await phase.close();
  }
}

/** The samples of several runs in one array. */
export function pooled(runs: readonly Float64Array[]): Float64Array {
  const all = new Float64Array(runs.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of runs) {
    all.set(r, at);
    at += r.length;
  }
  return all;
}

/** Percentiles (ms, rounded to µs) of the samples; sorts them in place. */
export function percentiles(samples: Float64Array, ps: readonly number[]): (number | null)[] {
  if (samples.length === 0) return ps.map(() => null);
  samples.sort();
  return ps.map((p) => {
    const idx = Math.min(samples.length - 1, Math.max(0, Math.ceil((p / 100) * samples.length) - 1));
    return Math.round(samples[idx]! * 1000) / 1000;
  });
}
