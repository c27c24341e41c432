import { formatLedgerReport } from '@partita/testing';
import type { SoakResult } from '../runner/run-soak.js';

/** The soak's printed report: figures, then one line per check. */
export function formatSoakResult(r: SoakResult): string {
  const rep = r.report;
  const lines = [
    `soak ${r.connector}: ${r.seconds} s of churn, seed ${r.seed}, topic ${r.topic}`,
    `  published ${rep.published}, handled ${rep.handled} (${rep.handlings} handlings, ${rep.redeliveredHandlings} redeliveries, max attempt ${r.maxAttempt})`,
    `  lost ${rep.lost.length}, duplicates ${rep.duplicates.count}, order violations: within tenures ${rep.memberOrderViolations.length}, ` +
      `across members ${rep.orderViolations.length}${r.keyOrderAcrossMembers ? '' : ' (not promised by this broker)'}`,
    `  members: ${r.membership.started} started, ${r.membership.killed} killed (kill -9), ${r.membership.stopped} stopped gracefully; ` +
      `changes every ${r.membership.intervalMedianMs} ms (median), longest gap ${r.membership.intervalMaxMs} ms ` +
      `(runner event-loop delay p50 ${r.membership.loopDelayP50Ms} ms, max ${r.membership.loopDelayMaxMs} ms); drain ${(r.drainMs / 1000).toFixed(1)} s`,
    `  duplicate bound: Σ in-flight window of killed members ${r.duplicates.killedWindowTotal} (largest ${r.duplicates.killedWindowMax})`,
    ...r.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`),
    `  ledger: ${formatLedgerReport(rep)}`,
    ...(r.duplicates.unexplainedTrace.length > 0
      ? ['  unexplained duplicates, traced:', ...r.duplicates.unexplainedTrace.map((l) => `    ${l}`)]
      : []),
    r.ok ? 'PASS' : 'FAIL',
  ];
  return lines.join('\n');
}
