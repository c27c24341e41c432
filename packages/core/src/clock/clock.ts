/**
 * Opaque timer handle returned by `Clock.setTimeout`: only that clock's
 * `clearTimeout` reads it. Never `undefined`, so `TimerHandle | undefined`
 * can say "no timer armed".
 */
export type TimerHandle = object | number;

/**
 * Time source for every delay partita schedules (retry backoff, timeouts,
 * drain deadlines). Inject a virtual clock in tests to run in virtual time.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /**
   * Run `fn` once on the next event-loop turn, after the I/O of this one
   * (`setImmediate`). Partita coalesces per-turn work through it (ack batches,
   * commits, the turn clock); see {@link TurnQueue}.
   */
  queueTurn(fn: () => void): void;
}

/** The longest delay one Node timer can hold; longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A system timer that may outlast one Node timer: re-armed in steps of `MAX_TIMER_MS`. */
class LongTimer {
  timer: NodeJS.Timeout | undefined;
  constructor(fn: () => void, at: number) {
    const arm = (): void => {
      const left = at - Date.now();
      this.timer = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(fn, Math.max(0, left));
    };
    arm();
  }
}

/** The handle of a timer that never fires (`ms` was `Infinity`). */
const NEVER: TimerHandle = Object.freeze({ never: true });

/**
 * The real clock: `Date.now` and the global timers (a pending timer keeps the
 * process alive, like `setTimeout`). Any delay is honoured: `Infinity` never
 * fires, and delays past Node's 2³¹−1 ms limit are re-armed rather than
 * clamped to 1 ms.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    if (ms === Infinity) return NEVER;
    if (ms > MAX_TIMER_MS) return new LongTimer(fn, Date.now() + ms);
    return setTimeout(fn, ms);
  },
  clearTimeout(handle) {
    if (handle instanceof LongTimer) clearTimeout(handle.timer);
    else if (handle !== NEVER) clearTimeout(handle as NodeJS.Timeout);
  },
  queueTurn(fn) {
    setImmediate(fn);
  },
};

/**
 * A manually advanced clock for tests: timers fire only in `advance`. Turns
 * are not time: `queueTurn` work runs on the next event-loop turn, so code
 * that waits for a turn needs no `advance` (and `advance` lets queued turns
 * run between the timers it fires). `turns()` counts the turns queued so far.
 */
export interface VirtualClock extends Clock {
  /** Move time forward by `ms`, firing due timers in order (awaiting microtasks between them). */
  advance(ms: number): Promise<void>;
  /** Number of pending timers. */
  pending(): number;
  /** Number of `queueTurn` calls so far. */
  turns(): number;
}

/** Create a `VirtualClock` starting at `startMs` (default 0). */
export function createVirtualClock(startMs = 0): VirtualClock {
  let now = startMs;
  let seq = 0;
  let turns = 0;
  const timers = new Map<number, { at: number; fn: () => void; seq: number }>();
  const flush = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
  };
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      if (ms === Infinity) return id; // never fires
      timers.set(id, { at: now + Math.max(0, ms), fn, seq: id });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    queueTurn(fn) {
      turns++;
      setImmediate(fn);
    },
    pending: () => timers.size,
    turns: () => turns,
    async advance(ms) {
      const target = now + ms;
      await flush();
      for (;;) {
        let next: { id: number; at: number; fn: () => void; seq: number } | undefined;
        for (const [id, t] of timers) {
          if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq)))
            next = { id, ...t };
        }
        if (!next) break;
        timers.delete(next.id);
        now = next.at;
        next.fn();
        await flush();
      }
      now = target;
      await flush();
    },
  };
}

/**
 * Per-turn coalescing on a clock: `request()` any number of times within one
 * event-loop turn and `run` is called once, on the next turn. The one helper
 * for "do this once per turn" work (ack batches, commits, the turn clock).
 */
export class TurnQueue {
  private queued = false;
  private readonly fire = (): void => {
    this.queued = false;
    this.run();
  };

  constructor(
    private readonly clock: Clock,
    private readonly run: () => void,
  ) {}

  /** Ask for `run` on the next turn; a request while one is queued is folded into it. */
  request(): void {
    if (this.queued) return;
    this.queued = true;
    this.clock.queueTurn(this.fire);
  }

  /** Whether a run is queued and has not happened yet. */
  get pending(): boolean {
    return this.queued;
  }
}
