// Process faults of consumers, in child processes: kill -9 of one of two
// members, and SIGSTOP past the session timeout then SIGCONT (a zombie).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLedger, formatLedgerReport } from '@partita/testing';
import { brokers, kafkaSkipReason, testTransport, unique, until } from './kafka-test-env.js';

const root = join(import.meta.dirname, '..', '..', '..');
const script = join(import.meta.dirname, 'fixtures', 'kafka-consumer.mjs');

interface Child {
  proc: ChildProcess;
  out: string[];
  label: string;
  /** Resolves on `close`: the process exited and every line it wrote was read (`exit` can come before the last lines). */
  closed: Promise<void>;
}

/** Partitions `child` owns after its first `lines` lines of output (replaying its "assigned"/"revoked" lines). */
function ownedPartitions(child: Child, lines = child.out.length): Set<number> {
  const owned = new Set<number>();
  for (const l of child.out.slice(0, lines)) {
    const [what, p] = l.split(' ');
    if (what === 'assigned') owned.add(Number(p));
    else if (what === 'revoked') owned.delete(Number(p));
  }
  return owned;
}

/** `[partition, id]` of each "handled <p> <id>" line in `lines`. */
const handledLines = (lines: readonly string[]): [number, string][] =>
  lines
    .filter((l) => l.startsWith('handled '))
    .map((l) => {
      const [, p, id] = l.split(' ');
      return [Number(p), id!];
    });

/** Ids the ledger file records as handled by `by` (read after that process closed, so complete). */
function handledBy(file: string, by: string): Set<string> {
  const ids = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as { t: string; id: string; by?: string };
      if (e.t === 'h' && e.by === by) ids.add(e.id);
    } catch {
      /* a line cut by the kill */
    }
  }
  return ids;
}

function startChild(label: string, env: Record<string, string>): Child {
  const proc = spawn(process.execPath, [script], {
    cwd: root,
    env: { ...process.env, ...env, LABEL: label },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  const child: Child = { proc, out: [], label, closed };
  let buf = '';
  proc.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    child.out.push(...lines);
  });
  proc.stdout.on('end', () => {
    if (buf) child.out.push(buf);
    buf = '';
  });
  proc.stderr.on('data', (d: Buffer) => process.stderr.write(`[${label}] ${d.toString()}`));
  return child;
}

describe.skipIf(kafkaSkipReason !== undefined)('kafka consumer process faults', () => {
  const children: Child[] = [];
  const dirs: string[] = [];
  beforeAll(() => {
    // The children run built JS: bring dist up to date (incremental).
    execFileSync(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'packages/kafka', 'packages/testing'],
      { cwd: root, stdio: 'inherit' },
    );
  }, 240_000);
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.proc.exitCode === null && c.proc.signalCode === null) {
        c.proc.kill('SIGCONT');
        c.proc.kill('SIGKILL');
      }
    }
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function setup(prefix: string, delayMs: number) {
    const dir = mkdtempSync(join(tmpdir(), 'partita-kafka-ledger-'));
    dirs.push(dir);
    const ledger = createLedger({ file: join(dir, 'ledger.jsonl'), truncate: true });
    const topic = unique(prefix);
    const group = unique('g');
    const publisher = testTransport({ partitions: 4, retryTiersMs: [] });
    await publisher.publish([{ topic, value: new TextEncoder().encode('{"id":"warmup"}'), headers: {} }]);
    ledger.recordPublished({ id: 'warmup' });
    const env = {
      BROKERS: brokers.join(','),
      TOPIC: topic,
      GROUP: group,
      LEDGER: ledger.file!,
      HANDLER_DELAY_MS: String(delayMs),
    };
    const a = startChild('a', env);
    const b = startChild('b', env);
    children.push(a, b);
    await until(() => a.out.includes('ready') && b.out.includes('ready'), 'both consumers ready', 120_000);
    await until(
      () => a.out.some((l) => l.startsWith('assigned')) && b.out.some((l) => l.startsWith('assigned')),
      'partitions split between both',
      120_000,
    );
    const publish = async (from: number, count: number) => {
      const msgs = Array.from({ length: count }, (_, i) => ({ id: `m${from + i}`, key: `k${(from + i) % 16}` }));
      ledger.recordPublished(msgs);
      for (let i = 0; i < msgs.length; i += 200) {
        await publisher.publish(
          msgs.slice(i, i + 200).map((m) => ({
            topic,
            key: m.key,
            value: new TextEncoder().encode(JSON.stringify({ id: m.id })),
            headers: {},
          })),
        );
      }
    };
    return { ledger, topic, group, publisher, a, b, publish, env };
  }

  it('kill -9 of one member mid-batch: the survivor takes its partitions, nothing is lost', async () => {
    const { ledger, publisher, a, b, publish } = await setup('kill9', 2);
    try {
      await publish(0, 3000);
      await until(() => (ledger.report().byHandler.a ?? 0) > 100, 'member a handled some');
      const aLines = a.out.length;
      const bLines = b.out.length;
      const killed = ownedPartitions(a, aLines);
      a.proc.kill('SIGKILL');
      await a.closed;
      // everything a handled is in the ledger now (it is dead, its output closed)
      const byA = handledBy(ledger.file!, 'a');
      const report = await ledger.waitForAllHandled({ timeoutMs: 120_000, expected: 3001 });
      console.log(`kill -9: ${formatLedgerReport(report).split('\n')[0]} (duplicates ${report.duplicates.count})`);
      expect(report.lost, formatLedgerReport(report)).toEqual([]);
      expect(report.unexpected).toEqual([]);
      expect(b.proc.exitCode).toBeNull();
      // a owned partitions at the kill, and b did not
      expect(killed.size).toBeGreaterThan(0);
      expect(
        [...ownedPartitions(b, bLines)].filter((p) => killed.has(p)),
        b.out.filter((l) => !l.startsWith('handled')).join(' | '),
      ).toEqual([]);
      // after the kill, b handled messages of every partition a held, messages a had not handled when it died
      const takenOver = handledLines(b.out.slice(bLines)).filter(([p, id]) => killed.has(p) && !byA.has(id));
      for (const p of killed)
        expect(
          takenOver.some(([q]) => q === p),
          `b took over partition ${p} of the killed member`,
        ).toBe(true);
    } finally {
      await publisher.close();
      ledger.close();
    }
  });

  it('SIGSTOP past the session timeout, then SIGCONT: the zombie commits nothing for partitions it lost', async () => {
    const { ledger, publisher, a, b, topic, group, publish } = await setup('zombie', 150);
    try {
      await publish(0, 400);
      await until(() => (ledger.report().byHandler.a ?? 0) > 10, 'member a handled some');
      const assignedBefore = b.out.filter((l) => l.startsWith('assigned')).length;
      a.proc.kill('SIGSTOP');
      // b gets a's partitions once a's session expired
      await until(
        () => b.out.filter((l) => l.startsWith('assigned')).length > assignedBefore,
        "b took over a's partitions",
        120_000,
      );
      const report = await ledger.waitForAllHandled({ timeoutMs: 180_000, expected: 401 });
      expect(report.lost, formatLedgerReport(report)).toEqual([]);
      const admin = await publisher.kafkaAdmin();
      const ends = await admin.fetchTopicOffsets(topic);
      const committedAll = async () => {
        const [c] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        return ends.every((e) => c!.partitions.find((p) => p.partition === e.partition)?.offset === e.high);
      };
      await until(committedAll, 'b committed every partition to its end', 120_000);
      const aOutBefore = a.out.length;
      a.proc.kill('SIGCONT');
      // a finishes the handlers it was running and tries to commit: refused, since it no longer owns those lanes
      await until(
        () => a.out.slice(aOutBefore).some((l) => l.startsWith('commit-after-revoke')),
        "the zombie's commit to be refused",
        120_000,
      );
      // and the group's committed offsets did not move back
      // the zombie rejoins the group and is given partitions again (from the committed offsets)
      await until(
        () => a.out.slice(aOutBefore).some((l) => l.startsWith('assigned')),
        'the zombie rejoined the group',
        120_000,
      );
      expect(await committedAll()).toBe(true);
      console.log('zombie after SIGCONT:', a.out.slice(aOutBefore).join(' | '));
      expect(
        a.out
          .slice(aOutBefore)
          .filter((l) => l.startsWith('committed'))
          .every((l) => {
            const [, p, off] = l.split(' ');
            return BigInt(off!) >= BigInt(ends.find((e) => e.partition === Number(p))!.high);
          }),
      ).toBe(true);
    } finally {
      await publisher.close();
      ledger.close();
    }
  });
});
