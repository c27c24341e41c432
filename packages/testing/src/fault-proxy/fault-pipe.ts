import type { Socket } from 'node:net';
import type { Clock, TimerHandle } from '@partita/core';

/** Pause the source while this many bytes wait in a pipe (latency or blackhole). */
const HIGH_WATER = 1 << 20;

/** What a pipe asks its proxy: current latency and whether bytes are held. */
export interface PipeConditions {
  latencyMs(): number;
  holding(): boolean;
  readonly clock: Clock;
}

/**
 * One direction of a proxied connection: bytes read from `src` are written to
 * `dst` in order, each chunk not before `latencyMs` after it arrived, and none
 * while the proxy holds (blackhole). An `end` from `src` is forwarded once the
 * queue is empty. The source is paused while too much is queued or `dst` is
 * full, so a held connection applies TCP backpressure instead of growing.
 */
export class FaultPipe {
  private readonly queue: { chunk: Buffer; due: number }[] = [];
  /** Bytes read from `src` and not yet written (delayed or held). */
  queuedBytes = 0;
  private ended = false;
  private timer: TimerHandle | undefined;
  private waitingDrain = false;
  /** Bytes written to `dst`. */
  forwarded = 0;

  constructor(
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly conditions: PipeConditions,
  ) {
    src.on('data', (chunk: Buffer) => {
      this.queue.push({ chunk, due: conditions.clock.now() + conditions.latencyMs() });
      this.queuedBytes += chunk.length;
      if (this.queuedBytes > HIGH_WATER) src.pause();
      this.pump();
    });
    src.on('end', () => {
      this.ended = true;
      this.pump();
    });
  }

  /** Forward what is due; call again when conditions change (heal, latency). */
  pump(): void {
    if (this.conditions.holding() || this.waitingDrain || this.dst.destroyed) return;
    const clock = this.conditions.clock;
    for (let head = this.queue[0]; head !== undefined; head = this.queue[0]) {
      const wait = head.due - clock.now();
      if (wait > 0) {
        if (this.timer === undefined) {
          this.timer = clock.setTimeout(() => {
            this.timer = undefined;
            this.pump();
          }, wait);
        }
        return;
      }
      this.queue.shift();
      this.queuedBytes -= head.chunk.length;
      this.forwarded += head.chunk.length;
      const ok = this.dst.write(head.chunk);
      if (!ok) {
        this.waitingDrain = true;
        this.src.pause();
        this.dst.once('drain', () => {
          this.waitingDrain = false;
          this.pump();
        });
        return;
      }
    }
    if (this.queuedBytes <= HIGH_WATER && this.src.isPaused() && !this.src.destroyed) this.src.resume();
    if (this.ended && this.queue.length === 0 && !this.dst.writableEnded) this.dst.end();
  }

  /** The source is gone: end `dst` once the queue is flushed. */
  finish(): void {
    this.ended = true;
    this.pump();
  }

  /** Drop queued bytes and timers (the connection is gone). */
  dispose(): void {
    if (this.timer !== undefined) this.conditions.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }
}
