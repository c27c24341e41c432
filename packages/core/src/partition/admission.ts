import type { Clock } from '../clock/clock.js';
import type { InboundRecord } from '../transport/transport.js';
import { Deque } from './deque.js';

/**
 * The app-wide budget of records its lanes hold as entries (admitted, not
 * settled yet): `createApp({ maxHeldMessages })`. Each lane's window still
 * applies; the budget keeps many lanes from admitting a whole topic at once
 * (1,024 lanes with a window each admitted a 500,000-record topic whole,
 * bench `scale`). A lane may always hold one record whatever the others
 * hold, so every lane makes progress (no lane waits on another's); beyond
 * that it takes from the budget, or keeps its records aside until other
 * lanes settle theirs (first come, first served). See docs/architecture.md,
 * decision 53.
 */
export class AppAdmission {
  private held = 0;
  private readonly waiting = new Deque<LaneAdmission>();
  private wakeQueued = false;

  constructor(
    readonly limit: number,
    private readonly clock: Clock,
  ) {}

  /** Records held now by every lane together. */
  get holding(): number {
    return this.held;
  }

  /**
   * @internal How many of `wanted` records a lane may admit now: up to its
   * `floor` (it holds `holds`) always, beyond that what the budget has left,
   * if `mayTakeBudget` (no lane waiting before it).
   */
  grant(wanted: number, holds: number, floor: number, mayTakeBudget: boolean): number {
    const room = mayTakeBudget ? this.limit - this.held : 0;
    const n = Math.min(wanted, Math.max(room, floor - holds, 0));
    this.held += n;
    return n;
  }

  /** @internal Whether a lane that does not wait yet may take from the budget (nobody waits before it). */
  get open(): boolean {
    return this.waiting.length === 0;
  }

  /** @internal `n` records left the lanes' hands. */
  release(n: number): void {
    this.held -= n;
    if (this.waiting.length > 0 && this.held < this.limit) this.requestWake();
  }

  /** @internal `lane` keeps records aside until the budget has room. */
  enqueue(lane: LaneAdmission): void {
    this.waiting.push(lane);
  }

  /** @internal `lane` no longer waits (it finished). */
  forget(lane: LaneAdmission): void {
    this.waiting.retain((l) => l !== lane);
    if (this.waiting.length > 0) this.requestWake();
  }

  /** @internal Serve the waiting lanes on the next turn. */
  requestWake(): void {
    if (this.wakeQueued) return;
    this.wakeQueued = true;
    this.clock.queueTurn(this.wake);
  }

  /**
   * Let waiting lanes admit what they kept aside: up to their floor each,
   * and the budget's room in the order they began to wait.
   */
  private readonly wake = (): void => {
    this.wakeQueued = false;
    let mayTakeBudget = true;
    for (let i = this.waiting.length; i > 0; i--) {
      const lane = this.waiting.shift()!;
      lane.admitHeld(mayTakeBudget);
      if (lane.heldBack > 0) {
        this.waiting.push(lane);
        mayTakeBudget = false;
      }
    }
  };
}

/**
 * One lane's account with the {@link AppAdmission}: what it holds, and the
 * delivered records it keeps aside (in arrival order, after everything it
 * admitted) until the budget lets it admit them.
 */
export class LaneAdmission {
  private holds = 0;
  private readonly aside = new Deque<{ readonly records: readonly InboundRecord[]; from: number }>();
  /** Records kept aside. */
  heldBack = 0;
  private closed = false;

  /** What a lane may always hold, whatever the budget says: one record, so every lane makes progress. */
  private readonly floor = 1;

  constructor(
    private readonly app: AppAdmission,
    /** Admit `records[from, to)` as entries (they count as held until released). */
    private readonly admit: (records: readonly InboundRecord[], from: number, to: number) => void,
  ) {}

  /** Delivered records: admitted now as far as the budget allows, the rest kept aside. */
  offer(records: readonly InboundRecord[]): void {
    if (this.closed) return;
    if (this.heldBack > 0) return this.keep(records, 0);
    const n = this.app.grant(records.length, this.holds, this.floor, this.app.open);
    this.holds += n;
    if (n < records.length) {
      this.keep(records, n);
      this.app.enqueue(this);
    }
    if (n > 0) this.admit(records, 0, n);
  }

  /** @internal Admit what was kept aside, as far as the budget allows now. */
  admitHeld(mayTakeBudget: boolean): void {
    for (let batch; !this.closed && (batch = this.aside.peek()) !== undefined;) {
      const left = batch.records.length - batch.from;
      const n = this.app.grant(left, this.holds, this.floor, mayTakeBudget);
      if (n === 0) return;
      this.holds += n;
      this.heldBack -= n;
      const from = batch.from;
      batch.from += n;
      if (n === left) this.aside.shift();
      this.admit(batch.records, from, from + n);
    }
  }

  /** `n` admitted records were settled. */
  release(n: number): void {
    if (this.closed) return;
    this.holds -= n;
    this.app.release(n);
    // Below its floor a waiting lane need not wait for the budget: on the next turn it admits up to it.
    if (this.heldBack > 0 && this.holds < this.floor) this.app.requestWake();
  }

  /** The lane finished: what it holds goes back to the budget; what it kept aside is dropped (never admitted, never settled). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.app.release(this.holds);
    this.holds = 0;
    this.aside.clear();
    this.heldBack = 0;
    this.app.forget(this);
  }

  private keep(records: readonly InboundRecord[], from: number): void {
    this.aside.push({ records, from });
    this.heldBack += records.length - from;
  }
}
