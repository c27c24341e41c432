import type { Clock, TimerHandle } from '@partita/core';
import { PROGRESS_SEQ, PROGRESS_THREAD } from '../wire/wire-task.js';

/** A task in flight as the watchdog sees it. */
export interface WatchedTask {
  /** Int32 view of the task's progress header (thread id, sequence). */
  readonly progress: Int32Array;
  readonly timeoutMs: number;
  lastSeq: number;
  lastChangeAt: number;
  /** Index of the message that timed out, or -1. */
  timedOutIndex: number;
}

/**
 * Finds messages that stay running past `timeoutMs + graceMs` (a handler
 * blocking its thread, which no timer inside that thread can stop) and
 * reports them once with the thread to terminate. Ticks on the injected
 * clock only while tasks are watched.
 */
export class TaskWatchdog {
  readonly #tasks = new Set<WatchedTask>();
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly graceMs: number,
    private readonly onTimeout: (task: WatchedTask, index: number, threadId: number) => void,
  ) {}

  add(task: WatchedTask): void {
    if (!(task.timeoutMs > 0 && Number.isFinite(task.timeoutMs))) return;
    this.#tasks.add(task);
    this.#schedule();
  }

  delete(task: WatchedTask): void {
    this.#tasks.delete(task);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#tasks.clear();
  }

  #tickMs(): number {
    let min = Infinity;
    for (const t of this.#tasks) min = Math.min(min, t.timeoutMs);
    return Math.max(10, Math.min(250, Math.floor(min / 4)));
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#stopped || this.#tasks.size === 0) return;
    this.#timer = this.clock.setTimeout(() => {
      this.#timer = undefined;
      this.check();
      this.#schedule();
    }, this.#tickMs());
    (this.#timer as { unref?: () => void } | undefined)?.unref?.();
  }

  /** One inspection of every watched task (also called by the tick). */
  check(): void {
    const now = this.clock.now();
    for (const t of this.#tasks) {
      const seq = Atomics.load(t.progress, PROGRESS_SEQ);
      if (seq !== t.lastSeq) {
        t.lastSeq = seq;
        t.lastChangeAt = now;
        continue;
      }
      if (seq % 2 === 1 && t.timedOutIndex === -1 && now - t.lastChangeAt > t.timeoutMs + this.graceMs) {
        t.timedOutIndex = (seq - 1) / 2;
        this.onTimeout(t, t.timedOutIndex, Atomics.load(t.progress, PROGRESS_THREAD));
      }
    }
  }
}
