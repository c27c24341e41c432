import type { App } from '@partita/core';
import type { MemoryBroker } from '@partita/memory';

const fmt = (n: number): string => n.toLocaleString('en-US');

/** One live status line on stderr (overwritten in place on a terminal). */
export function progressLine(app: App, published: number, target: number, startedAt: number): void {
  const m = app.inspect().metrics;
  const secs = (Date.now() - startedAt) / 1000;
  const line = `published ${fmt(published)}/${fmt(target)}  handled ${fmt(m.succeeded)}  retried ${fmt(m.retried)}  dead-lettered ${fmt(m.deadLettered)}  in-flight ${m.inFlight}  ${fmt(Math.round(m.succeeded / Math.max(secs, 0.001)))} msg/s`;
  if (process.stderr.isTTY) process.stderr.write(`\r${line.padEnd(110)}`);
  else process.stderr.write(`${line}\n`);
}

export interface Summary {
  readonly app: App;
  /** The embedded broker when the demo runs on it (its dead-letter topics are shown). */
  readonly broker: MemoryBroker | undefined;
  /** Which broker the run used, for the headline. */
  readonly brokerName: string;
  readonly published: number;
  /** Of `published`, payloads that were not valid JSON. */
  readonly malformed: number;
  readonly elapsedMs: number;
  readonly reason: string;
  readonly archive: readonly { thread: string; tasks: number; messages: number }[];
}

/** The closing report: totals, dead letters by reason, per-lane final state, per-thread work. */
export function printSummary(s: Summary): void {
  const snap = s.app.inspect();
  const m = snap.metrics;
  console.log(`\npartita demo: ${s.reason} on ${s.brokerName} after ${(s.elapsedMs / 1000).toFixed(2)} s\n`);
  console.table({
    'orders published': `${fmt(s.published - s.malformed)} (+${fmt(s.malformed)} malformed payloads)`,
    'messages handled': fmt(m.succeeded),
    retries: fmt(m.retried),
    'dead-lettered': fmt(m.deadLettered),
    'throughput (handled msg/s)': fmt(Math.round(m.succeeded / (s.elapsedMs / 1000))),
  });
  console.log('dead-lettered by reason:');
  console.table(Object.keys(m.deadLetteredByReason).length ? m.deadLetteredByReason : { none: 0 });
  if (s.broker) {
    const dlq = s.broker.stats().deadLetters;
    console.log('dead-letter topics (broker view):');
    console.table(
      Object.entries(dlq.byTopic).flatMap(([topic, t]) =>
        Object.entries(t.byReason).map(([reason, count]) => ({ topic, reason, count })),
      ),
    );
  }
  printAccounting(s.app, s.published);
  console.log('lanes (final state, committed offset = next offset to consume):');
  console.table(
    snap.lanes.map((l) => ({
      handler: l.handler,
      topic: l.topic,
      partition: l.partition,
      state: l.state,
      committed: l.committed,
      handled: l.succeeded,
      retried: l.retried,
      'dead-lettered': l.deadLettered,
    })),
  );
  if (s.archive.length > 0) {
    console.log('archive stage, work per worker thread:');
    console.table(s.archive);
  }
}

/** Per handler: what came in against what was handled or dead-lettered. Nothing may be missing. */
function printAccounting(app: App, published: number): void {
  const lanes = app.inspect().lanes;
  const sum = (h: string, f: (l: (typeof lanes)[number]) => number): number =>
    lanes.filter((l) => l.handler === h).reduce((n, l) => n + f(l), 0);
  const validated = sum('validate', (l) => l.succeeded);
  const row = (h: string, received: number) => {
    const handled = sum(h, (l) => l.succeeded);
    const deadLettered = sum(h, (l) => l.deadLettered);
    return {
      handler: h,
      in: received,
      handled,
      'dead-lettered': deadLettered,
      missing: received - handled - deadLettered,
    };
  };
  const handlers = [...new Set(lanes.map((l) => l.handler))].filter((h) => h !== 'validate');
  const rows = [row('validate', published), ...handlers.map((h) => row(h, validated))];
  const lost = rows.reduce((n, r) => n + Math.abs(r.missing), 0);
  console.log('accounting (in = handled + dead-lettered):');
  console.table(rows);
  console.log(
    lost === 0 ? 'nothing lost: every message handled or dead-lettered' : `MISSING: ${lost} messages unaccounted for`,
  );
}
