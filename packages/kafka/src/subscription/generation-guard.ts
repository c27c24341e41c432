import type { Clock, TimerHandle } from '@partita/core';

/** Broker answers meaning "this member's generation is not current". */
export const GROUP_CHANGE: ReadonlySet<string> = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'FENCED_INSTANCE_ID',
]);
/** The subset meaning the coordinator dropped this member's generation (its session expired or it was fenced). */
export const SESSION_LOST: ReadonlySet<string> = new Set([
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'FENCED_INSTANCE_ID',
]);

/** The Kafka error code of a kafkajs error, looking through its wrappers (`KafkaJSNonRetriableError.cause`, ...). */
export function kafkaErrorType(err: unknown): string | undefined {
  let e = err as { type?: string; originalError?: unknown; cause?: unknown } | undefined;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    if (typeof e.type === 'string') return e.type;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return undefined;
}

/**
 * Whether this member may commit: its group generation is confirmed.
 *
 * Contract: `confirmed` is true only between a `GROUP_JOIN` (`joined()`) and
 * the first sign that the generation may be gone: a rebalance/generation
 * error from the broker (`refused()`), a rebalance kafkajs announced, or a
 * stall of the process longer than the session timeout (SIGSTOP, a long GC or
 * a suspended VM): the coordinator has dropped the member by then, so every
 * lane it held is a zombie. `sample()` detects stalls: it compares the wall
 * clock with the previous sample (a ticker samples every heartbeat interval;
 * the connector also samples whenever it wakes up, since I/O callbacks run
 * before timers after a stop). `onStall` runs synchronously on detection.
 */
export class GenerationGuard {
  private isConfirmed = false;
  private sessionLost = false;
  private last: number;
  private ticker: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly sessionTimeoutMs: number,
    private readonly tickMs: number,
    private readonly onStall: (stalledMs: number) => void,
  ) {
    this.last = clock.now();
  }

  get confirmed(): boolean {
    return this.isConfirmed;
  }

  /** Starts the ticker (idempotent). */
  start(): void {
    if (this.ticker !== undefined) return;
    const tick = (): void => {
      this.sample();
      this.ticker = this.clock.setTimeout(tick, this.tickMs);
    };
    this.last = this.clock.now();
    this.ticker = this.clock.setTimeout(tick, this.tickMs);
  }

  stop(): void {
    if (this.ticker !== undefined) this.clock.clearTimeout(this.ticker);
    this.ticker = undefined;
  }

  /** Returns true when the process stalled past the session timeout since the previous sample. */
  sample(): boolean {
    const now = this.clock.now();
    const gap = now - this.last;
    this.last = now;
    if (gap <= this.sessionTimeoutMs) return false;
    this.isConfirmed = false;
    this.sessionLost = true;
    this.onStall(gap);
    return true;
  }

  /** The broker refused a request with `type` (a `GROUP_CHANGE` code), or kafkajs announced a rebalance. */
  refused(type: string): void {
    this.isConfirmed = false;
    if (SESSION_LOST.has(type)) this.sessionLost = true;
  }

  /**
   * A `GROUP_JOIN` happened: the new generation is confirmed. Returns true
   * when the member's previous session was lost since the last join, so no
   * lane held before it may be retained (even if kafkajs kept the member id).
   */
  joined(): boolean {
    this.sample();
    const lost = this.sessionLost;
    this.sessionLost = false;
    this.isConfirmed = true;
    return lost;
  }
}
