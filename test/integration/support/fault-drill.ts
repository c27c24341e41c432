// What the network-fault tests of every connector share: a publisher that
// keeps publishing numbered batches in the background (recorded in a ledger)
// while a fault proxy cuts the app's connection, the waits between faults,
// and the closing check that nothing was lost.
import { expect } from 'vitest';
import type { App } from '@partita/core';
import { formatLedgerReport, waitFor, type Ledger, type WaitForOptions } from '@partita/testing';

type Wait = Omit<WaitForOptions, 'description'>;

export interface FaultDrill {
  /** Messages published (confirmed) so far. */
  readonly published: () => number;
  /** Wait until the app's health status satisfies `ok` (`true`: is `ok`; `false`: is not `ok`). */
  readonly health: (ok: boolean, description: string) => Promise<void>;
  /** Wait until `more` further messages were published (so some are published during a fault). */
  readonly publishedMore: (more: number, description: string) => Promise<void>;
  /** After a fault: 50 more published, then every message published so far handled. */
  readonly allHandled: (after: string) => Promise<void>;
  /** Stop publishing (idempotent; for afterAll as well). */
  readonly stop: () => Promise<void>;
  /**
   * Stop publishing, wait for every message, print the ledger and assert: no
   * publish failed, nothing lost or unexpected, and with `keyOrder` no key
   * handled out of order.
   */
  readonly finish: (label: string, options?: { readonly keyOrder?: boolean }) => Promise<void>;
}

/**
 * Start publishing `publishBatch()` every 20 ms (a producer's rhythm, not a
 * wait: every wait of the drill polls a condition). `publishBatch` records
 * what it published in `ledger`; the app records what it handled.
 */
export function startFaultDrill(args: {
  readonly app: App;
  readonly ledger: Ledger;
  readonly publishBatch: () => Promise<unknown>;
  readonly wait: Wait;
}): FaultDrill {
  const { app, ledger, wait } = args;
  let publishing = true;
  let publishError: unknown;
  const loop = (async () => {
    while (publishing) {
      try {
        await args.publishBatch();
      } catch (err) {
        publishError = err;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const published = (): number => ledger.report().published;
  const stop = async (): Promise<void> => {
    publishing = false;
    await loop;
  };
  const publishedMore = async (more: number, description: string): Promise<void> => {
    const target = published() + more;
    await waitFor(() => published() >= target, { ...wait, description });
  };
  return {
    published,
    stop,
    publishedMore,
    async health(ok, description) {
      await waitFor(async () => ((await app.health()).status === 'ok') === ok, { ...wait, description });
    },
    async allHandled(after) {
      await publishedMore(50, `50 more messages published after ${after}`);
      await ledger.waitForAllHandled({ expected: published(), ...wait });
    },
    async finish(label, options = {}) {
      await stop();
      const report = await ledger.waitForAllHandled({ expected: published(), ...wait });
      console.log(`${label}: ${formatLedgerReport(report)}`);
      expect(publishError).toBeUndefined();
      expect(report.lost).toEqual([]);
      expect(report.unexpected).toEqual([]);
      expect(report.handled).toBe(report.published);
      if (options.keyOrder) expect(report.orderViolations, formatLedgerReport(report)).toEqual([]);
    },
  };
}
