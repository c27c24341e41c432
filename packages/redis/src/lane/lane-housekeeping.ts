import type { Clock } from '@partita/core';
import type { ScriptRunner } from '../scripts/script-runner.js';
import type { Claimed, PendingEntries } from './pending-entries.js';

/** What one lane's housekeeping works on. */
export interface HousekeepingConfig {
  readonly stream: string;
  readonly delayed: string;
  readonly delayedData: string;
  readonly maxLen: number;
  readonly claimTimeoutMs: number;
  readonly clock: Clock;
}

/** How often a lane trims its stream and looks for due delayed entries, at most. */
const TRIM_EVERY_MS = 1000;
const MOVE_LIMIT = 200;
/** After a failed pass: no new pass before this long. */
const RETRY_MS = 1000;

/**
 * A lane's periodic work beside reading: due delayed entries back into the
 * stream, trimming, and the sweep for entries stuck on nobody. It runs
 * beside the reads, never in front of them: a pass costs round trips on the
 * shared connection, and a read waiting behind them would delay every entry
 * that arrived meanwhile.
 */
export class LaneHousekeeping {
  /** When the earliest delayed entry this lane knows of is due (local clock), 0: none known. */
  nextDueAt = 0;
  private lastTrim = 0;
  private lastSweep: number;
  private notBefore = 0;
  private running: Promise<void> | undefined;

  constructor(
    private readonly scripts: ScriptRunner,
    private readonly pending: PendingEntries,
    private readonly cfg: HousekeepingConfig,
    /** Entries the sweep claimed, for the lane to deliver. */
    private readonly deliver: (claimed: Claimed) => void,
    /** Whether the lane holds an entry (the sweep leaves those alone). */
    private readonly held: (id: string) => boolean,
    /** Reports a failed pass (for health; the next pass tries again). */
    private readonly failed: (err: unknown) => void,
  ) {
    // The first sweep waits: recovery replays every pending entry in order first.
    this.lastSweep = cfg.clock.now();
  }

  /** An entry is due at `at` (local clock): look for due entries then. */
  dueAt(at: number): void {
    if (this.nextDueAt === 0 || at < this.nextDueAt) this.nextDueAt = at;
  }

  /** Start a pass in the background when one is due and none is running. */
  maybeRun(): void {
    if (this.running !== undefined) return;
    const now = this.cfg.clock.now();
    if (now < this.notBefore) return;
    const due =
      now - this.lastTrim >= TRIM_EVERY_MS ||
      (this.nextDueAt > 0 && now >= this.nextDueAt) ||
      now - this.lastSweep >= this.cfg.claimTimeoutMs / 2;
    if (!due) return;
    this.running = this.pass(now)
      .catch((err: unknown) => {
        this.notBefore = this.cfg.clock.now() + RETRY_MS;
        this.failed(err);
      })
      .finally(() => {
        this.running = undefined;
      });
  }

  /** The pass under way, if any (awaited when the lane stops). */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async pass(now: number): Promise<void> {
    if (now - this.lastTrim >= TRIM_EVERY_MS) {
      this.lastTrim = now;
      await this.scripts.trim([this.cfg.stream], [String(this.cfg.maxLen)]);
      // Entries a previous owner delayed, or delayed publishes: look for due ones now and then.
      if (this.nextDueAt === 0) this.nextDueAt = now;
    }
    if (this.nextDueAt > 0 && now >= this.nextDueAt) {
      const asked = this.nextDueAt;
      const [, nextDue, serverNow] = (await this.scripts.moveDue(
        [this.cfg.stream, this.cfg.delayed, this.cfg.delayedData],
        [String(MOVE_LIMIT)],
      )) as [number, number, number];
      const later = this.nextDueAt !== asked ? this.nextDueAt : 0; // a delay made meanwhile
      this.nextDueAt = nextDue < 0 ? 0 : now + Math.max(0, nextDue - serverNow);
      if (later > 0) this.dueAt(later);
    }
    if (now - this.lastSweep >= this.cfg.claimTimeoutMs / 2) {
      this.lastSweep = now;
      // Entries idle past the claim timeout that no lane works on: on other consumers (an owner that
      // lapsed), or on this consumer but not held by this lane (delivered to a read whose reply never arrived).
      this.deliver(await this.pending.claimStuck(this.held));
    }
  }
}
