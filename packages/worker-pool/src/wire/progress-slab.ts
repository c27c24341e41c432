import { PROGRESS_HEADER_BYTES, progressViews } from './wire-task.js';

/** Where one task's progress lives: `PROGRESS_HEADER_BYTES` of Int32 header, then one status byte per message. */
export interface ProgressSlot {
  readonly buffer: SharedArrayBuffer;
  /** Byte offset of the header in `buffer` (a multiple of 8). */
  readonly offset: number;
  /** Int32 view of the header (thread id, sequence). */
  readonly header: Int32Array;
  /** One status byte per message of the task. */
  readonly status: Uint8Array;
  /** False for a task larger than the slab's slots (its buffer is its own). */
  readonly pooled: boolean;
}

interface Slot {
  readonly buffer: SharedArrayBuffer;
  readonly offset: number;
}

/**
 * Progress slots for tasks in flight, carved from a few SharedArrayBuffers
 * that are reused. A SharedArrayBuffer per task costs more on the main thread
 * than a small task's whole message, and every one is external memory that
 * pulls the next garbage collection closer.
 *
 * A slot holds up to `maxMessages` status bytes; a larger task gets a buffer
 * of its own (not pooled). A slot must be released only once no thread can
 * write to it any more: after the task's result arrived or its thread is gone.
 */
export class ProgressSlab {
  readonly #free: Slot[] = [];
  readonly #slotBytes: number;

  constructor(
    private readonly maxMessages: number,
    private readonly slotsPerBuffer = 32,
  ) {
    this.#slotBytes = PROGRESS_HEADER_BYTES + Math.ceil(maxMessages / 8) * 8;
  }

  /** A zeroed slot for a task of `count` messages. */
  acquire(count: number): ProgressSlot {
    if (count > this.maxMessages)
      return view({ buffer: new SharedArrayBuffer(PROGRESS_HEADER_BYTES + count), offset: 0 }, count, false);
    if (this.#free.length === 0) this.#grow();
    const slot = this.#free.pop()!;
    new Uint8Array(slot.buffer, slot.offset, PROGRESS_HEADER_BYTES + count).fill(0);
    return view(slot, count, true);
  }

  /** Give a slot back for reuse. */
  release(slot: ProgressSlot): void {
    if (slot.pooled) this.#free.push({ buffer: slot.buffer, offset: slot.offset });
  }

  #grow(): void {
    const buffer = new SharedArrayBuffer(this.#slotBytes * this.slotsPerBuffer);
    for (let i = this.slotsPerBuffer - 1; i >= 0; i--) this.#free.push({ buffer, offset: i * this.#slotBytes });
  }
}

function view(slot: Slot, count: number, pooled: boolean): ProgressSlot {
  return { buffer: slot.buffer, offset: slot.offset, pooled, ...progressViews(slot.buffer, slot.offset, count) };
}
