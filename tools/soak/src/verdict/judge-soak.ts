import type { LedgerReport } from '@partita/testing';
import type { DuplicateAccount } from './settlement-window.js';

/** One claim of the soak and whether the run upholds it. */
export interface SoakCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface SoakEvidence {
  readonly report: LedgerReport;
  readonly duplicates: DuplicateAccount;
  readonly keyOrderAcrossMembers: boolean;
  readonly rebalanceDuplicates: boolean;
  readonly kills: number;
  readonly drained: boolean;
}

/** The soak's claims: nothing lost, order per key within every tenure, duplicates inside the killed members' windows. */
export function judgeSoak(e: SoakEvidence): SoakCheck[] {
  const { report, duplicates: d } = e;
  const checks: SoakCheck[] = [
    {
      name: 'drained',
      ok: e.drained,
      detail: e.drained ? 'every published message was handled' : 'the drain timed out',
    },
    {
      name: '0 lost',
      ok: report.lost.length === 0 && report.published > 0,
      detail: `${report.lost.length} of ${report.published} lost`,
    },
    {
      name: 'key order within each member tenure',
      ok: report.memberOrderViolations.length === 0,
      detail: `${report.memberOrderViolations.length} violations`,
    },
    e.rebalanceDuplicates
      ? {
          name: 'duplicates within in-flight windows of members that lost their lanes (killed, or rebalanced)',
          ok: d.unexplained.length === 0,
          detail:
            `${d.duplicates} duplicates: ${d.withinKilledWindow} in killed members' windows (Σ ${d.killedWindowTotal}, largest ` +
            `${d.killedWindowMax}), ${d.withinLiveWindow} in rebalanced members' windows, ${d.byStaleOwner} by stale owners ` +
            `(up to ${d.staleOwnerMaxMs} ms after the lane's next owner was assigned it), ${d.unexplained.length} unexplained`,
        }
      : {
          name: "duplicates within the killed members' in-flight windows",
          ok:
            d.withinLiveWindow === 0 &&
            d.byStaleOwner === 0 &&
            d.unexplained.length === 0 &&
            d.withinKilledWindow <= d.killedWindowTotal,
          detail:
            `${d.duplicates} duplicates ≤ Σ window ${d.killedWindowTotal} (largest ${d.killedWindowMax}); ` +
            `${d.withinLiveWindow} from live members, ${d.byStaleOwner} by stale owners, ${d.unexplained.length} unexplained`,
        },
    { name: 'no unexpected ids', ok: report.unexpected.length === 0, detail: `${report.unexpected.length} unexpected` },
    { name: 'members were killed', ok: e.kills > 0, detail: `${e.kills} kill -9` },
  ];
  if (e.keyOrderAcrossMembers) {
    checks.splice(3, 0, {
      name: 'key order across members',
      ok: report.orderViolations.length === 0,
      detail: `${report.orderViolations.length} violations`,
    });
  }
  return checks;
}
