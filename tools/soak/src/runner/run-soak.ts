import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OutboundRecord } from '@partita/core';
import { createLedger, type LedgerEvent, type LedgerReport } from '@partita/testing';
import { soakConnector } from '../connectors/connectors.js';
import { inProcessMember, MemberProcesses, type MemberHandle } from '../member/member-handle.js';
import { openSettlementLog, readSettlementLog } from '../member/settlement-log.js';
import type { SoakMemberConfig } from '../member/soak-member.js';
import { accountDuplicates, type DuplicateAccount } from '../verdict/settlement-window.js';
import { judgeSoak, type SoakCheck } from '../verdict/judge-soak.js';
import { seededRandom } from './seeded-random.js';
import { resolveSoakOptions, type SoakOptions } from './soak-options.js';

/** What one soak run did and what its ledger proves. */
export interface SoakResult {
  readonly connector: string;
  readonly seed: number;
  readonly seconds: number;
  readonly topic: string;
  readonly membership: {
    readonly started: number;
    readonly killed: number;
    readonly stopped: number;
    /** Time between membership changes in the chaos phase: median and longest (the target is ≤ maxChangeIntervalMs; a starved machine stretches it). */
    readonly intervalMedianMs: number;
    readonly intervalMaxMs: number;
    /** The runner's event-loop delay during the chaos phase (p50, max): how late its timers fired. */
    readonly loopDelayP50Ms: number;
    readonly loopDelayMaxMs: number;
  };
  readonly report: LedgerReport;
  readonly duplicates: DuplicateAccount;
  readonly keyOrderAcrossMembers: boolean;
  /** Longest attempt seen (redeliveries). */
  readonly maxAttempt: number;
  readonly drained: boolean;
  readonly drainMs: number;
  readonly checks: readonly SoakCheck[];
  readonly ok: boolean;
  /** The ledger and settlement files (removed unless `keepFiles`). */
  readonly dir: string;
}

const TICK_MS = 50;

/**
 * The chaos soak: a producer publishes keyed messages while members of one
 * group are started and stopped (half of the stops kill -9) for `seconds`;
 * then members drain everything and the ledger is judged.
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const o = resolveSoakOptions(options);
  const connector = soakConnector(o.connector);
  const dir = mkdtempSync(join(tmpdir(), `partita-soak-${connector.name}-`));
  const ledgerFile = join(dir, 'ledger.jsonl');
  const settlementFile = join(dir, 'settlements.jsonl');
  const ledger = createLedger({ file: ledgerFile, truncate: true });
  openSettlementLog(settlementFile, { truncate: true }).close();
  const tag = `${Date.now().toString(36)}${o.seed.toString(36)}`;
  const names = { topic: `soak-${connector.name}-${tag}`, group: `soak-${tag}` };
  const session = await connector.open(names, { ...process.env, ...o.env });
  const childEnv = { ...o.env, ...session.env };
  const producer = session.transport('soak-producer');
  const random = seededRandom(o.seed);
  const keyRandom = seededRandom(o.seed ^ 0x5bd1e995);
  const alive: MemberHandle[] = [];
  const ends: Promise<void>[] = [];
  const killed = new Set<string>();
  let started = 0;
  const changes: number[] = [];
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  let stopped = 0;
  const onError = (line: string): void => o.log(line);
  const traceStart = Date.now();
  const processes =
    connector.members === 'processes'
      ? new MemberProcesses(childEnv, onError, 2 * o.maxMembers, (label) =>
          o.trace(`+${Date.now() - traceStart} ms ready ${label}`),
        )
      : undefined;

  const start = (): void => {
    const config: SoakMemberConfig = {
      ...names,
      connector: connector.name,
      label: `m${++started}`,
      ledgerFile,
      settlementFile,
      handler: connector.handler,
      handlerDelayMs: o.handlerDelayMs,
    };
    alive.push(processes ? processes.start(config) : inProcessMember(session, config, onError));
    o.trace(`+${Date.now() - traceStart} ms start ${config.label} (${alive.length} alive)`);
  };
  const end = (member: MemberHandle, kill: boolean): void => {
    o.trace(`+${Date.now() - traceStart} ms ${kill ? 'kill -9' : 'stop'} ${member.label} (${alive.length} alive)`);
    if (kill) killed.add(member.label);
    else stopped++;
    ends.push(kill ? member.kill() : member.stop());
  };

  let drained = false;
  let drainMs: number;
  try {
    await producer.connect();
    await processes?.warmUp(o.minMembers + 1);
    for (let i = 0; i < o.minMembers; i++) start();
    loopDelay.enable();
    const t0 = Date.now();
    const chaosEnd = t0 + o.seconds * 1000;

    const produce = async (): Promise<void> => {
      let seq = 0;
      for (let now = Date.now(); now < chaosEnd; now = Date.now()) {
        const due = Math.floor(((now - t0) / 1000) * o.ratePerSecond);
        if (due > seq) {
          const batch = Array.from({ length: due - seq }, () => ({
            id: `s${seq++}`,
            key: `k${Math.floor(keyRandom() * o.keys)}`,
          }));
          ledger.recordPublished(batch);
          const records: OutboundRecord[] = batch.map((m) => ({
            topic: names.topic,
            key: m.key,
            value: new TextEncoder().encode(JSON.stringify({ id: m.id })),
            headers: {},
          }));
          await producer.publish(records);
        }
        await sleep(TICK_MS);
      }
    };
    const churn = async (): Promise<void> => {
      let stops = 0;
      const killFirst = random() < 0.5;
      while (Date.now() < chaosEnd) {
        await sleep(Math.floor(random() * o.maxChangeIntervalMs) + 1);
        changes.push(Date.now());
        const grow = alive.length < o.maxMembers && (alive.length <= o.minMembers || random() < 0.5);
        if (grow) {
          start();
          continue;
        }
        // Half of the time the longest-lived member (it holds lanes and records in flight), else any.
        const victim = alive.splice(random() < 0.5 ? 0 : Math.floor(random() * alive.length), 1)[0]!;
        end(victim, (stops++ % 2 === 0) === killFirst);
      }
    };
    await Promise.all([produce(), churn()]);
    loopDelay.disable();
    o.log(
      `chaos phase over after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${started} started, ${killed.size} killed, ${stopped} stopped; draining`,
    );
    await Promise.all(ends);
    const drainStart = Date.now();
    try {
      await ledger.waitForAllHandled({ expected: 1, timeoutMs: o.drainTimeoutMs, intervalMs: 200 });
      drained = true;
    } catch (err) {
      o.log(String((err as Error).message).split('\n')[0]!);
    }
    drainMs = Date.now() - drainStart;
  } finally {
    await Promise.allSettled(alive.splice(0).map((m) => m.stop()));
    await Promise.allSettled(ends);
    processes?.close();
    await producer.close().catch(() => {});
    await session.close().catch(() => {});
  }

  const report = ledger.report();
  ledger.close();
  const events = readFileSync(ledgerFile, 'utf8')
    .split('\n')
    .flatMap((l) => {
      try {
        return l === '' ? [] : [JSON.parse(l) as LedgerEvent];
      } catch {
        return [];
      }
    });
  const duplicates = accountDuplicates(events, readSettlementLog(settlementFile), killed);
  const maxAttempt = events.reduce((m, e) => (e.t === 'h' ? Math.max(m, e.a ?? 1) : m), 1);
  const checks = judgeSoak({
    report,
    duplicates,
    keyOrderAcrossMembers: connector.keyOrderAcrossMembers,
    rebalanceDuplicates: connector.rebalanceDuplicates,
    kills: killed.size,
    drained,
  });
  if (!o.keepFiles) rmSync(dir, { recursive: true, force: true });
  return {
    connector: connector.name,
    seed: o.seed,
    seconds: o.seconds,
    topic: names.topic,
    membership: {
      started,
      killed: killed.size,
      stopped,
      ...intervals(changes),
      loopDelayP50Ms: Math.round(loopDelay.percentile(50) / 1e6),
      loopDelayMaxMs: Math.round(loopDelay.max / 1e6),
    },
    report,
    duplicates,
    keyOrderAcrossMembers: connector.keyOrderAcrossMembers,
    maxAttempt,
    drained,
    drainMs,
    checks,
    ok: checks.every((c) => c.ok),
    dir,
  };
}

function intervals(times: readonly number[]): { intervalMedianMs: number; intervalMaxMs: number } {
  const gaps = times
    .slice(1)
    .map((t, i) => t - times[i]!)
    .sort((a, b) => a - b);
  return { intervalMedianMs: gaps[Math.floor(gaps.length / 2)] ?? 0, intervalMaxMs: gaps.at(-1) ?? 0 };
}
