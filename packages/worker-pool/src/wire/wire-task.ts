import type { ExecutorMessage, ExecutorTask, Headers, LogMethod, Message, SerializedError } from '@partita/core';
import type { WirePublished } from './wire-published.js';

/**
 * A task as it crosses to a worker thread. Numbers and values travel in one
 * buffer (never one structured clone per message: cloning a slice copies its
 * whole backing buffer): copied when small, which costs the main thread less
 * than a transfer, and transferred from `TRANSFER_MIN_BYTES` on.
 * Progress is a slot of a SharedArrayBuffer the worker writes and the pool
 * reads even when the thread dies or hangs.
 */
export interface WireTask {
  readonly token: number;
  readonly handler: string;
  readonly worker: string;
  readonly timeoutMs: number;
  readonly contentType: string;
  /** URL of the app's codec module for content types the pool does not know, or null. */
  readonly codecModule: string | null;
  readonly trace: Headers | undefined;
  readonly count: number;
  /**
   * `NUMBERS_PER_MESSAGE` float64 per message (value end offset, partition,
   * timestamp, attempt), then all values back to back.
   */
  readonly data: ArrayBuffer;
  /** One topic for all messages, or one per message. */
  readonly topics: string | readonly string[];
  readonly keys: readonly (string | undefined)[];
  readonly offsets: readonly string[];
  /** `null` when every id is `${topic}/${partition}/${offset}`. */
  readonly ids: readonly string[] | null;
  /** `null` when no message has headers. */
  readonly headers: readonly Headers[] | null;
  /** Indices of tombstones (`value: null`), or `null` when there are none. */
  readonly tombstones: readonly number[] | null;
  readonly progress: SharedArrayBuffer;
  /** Byte offset of this task's slot in `progress`. */
  readonly progressOffset: number;
  /** How `ctx.logger` logs on the thread. */
  readonly log: WireLog;
}

/** The thread's side of the app's logger for one task: its level, and the lane's bindings for every line. */
export interface WireLog {
  /** The app logger's level when the task left (lines below it are not posted). */
  readonly level: string;
  readonly bindings: Readonly<Record<string, unknown>>;
}

/** What the worker returns for a task. */
export interface WireResult {
  readonly threadId: number;
  /** Handler (and decode) time for the whole task, in ms. */
  readonly elapsedMs: number;
  /** Failed messages as [index, error]; empty when all succeeded. */
  readonly failures: readonly (readonly [number, SerializedError])[];
  /** What the successful attempts published (`ctx.publish`), or null when nothing. */
  readonly published: WirePublished | null;
}

/** A message the worker posts on its parent port (outside the task channel). */
export type WireEvent =
  | {
      readonly partita: 'log';
      readonly level: LogMethod;
      readonly msg: string | undefined;
      /** The lane's bindings, the message's fields, `threadId`, and what the handler logged. */
      readonly fields: Record<string, unknown>;
    }
  | { readonly partita: 'failure'; readonly token: number; readonly index: number; readonly error: SerializedError };

/** Numbers per message in `WireTask.numbers`. */
export const NUMBERS_PER_MESSAGE = 4;
/** Int32 slots before the status bytes in `progress`: thread id, sequence. */
export const PROGRESS_HEADER_BYTES = 8;
/** `progress` Int32 index of the thread id running the task (0 until it starts). */
export const PROGRESS_THREAD = 0;
/** `progress` Int32 index of the sequence: 2i+1 while message i runs, 2i+2 once it finished. */
export const PROGRESS_SEQ = 1;

/** Per-message status bytes after the header. */
/** `okPublished`: succeeded, and what it published is only in the task's result (lost if the thread dies). */
export const Status = { pending: 0, ok: 1, failedRetryable: 2, failedFinal: 3, okPublished: 4 } as const;

/**
 * The views of one task's progress at `offset` of `buffer` (both sides use
 * them): the Int32 header (`PROGRESS_THREAD`, `PROGRESS_SEQ`), then one
 * status byte per message.
 */
export function progressViews(
  buffer: SharedArrayBuffer,
  offset: number,
  count: number,
): { readonly header: Int32Array; readonly status: Uint8Array } {
  return {
    header: new Int32Array(buffer, offset, PROGRESS_HEADER_BYTES / 4),
    status: new Uint8Array(buffer, offset + PROGRESS_HEADER_BYTES, count),
  };
}

/** Byte offset of the values in `WireTask.data`: they follow the numbers. */
function valuesOffset(count: number): number {
  return count * NUMBERS_PER_MESSAGE * Float64Array.BYTES_PER_ELEMENT;
}

/** From this size on the task buffer is transferred rather than copied. */
export const TRANSFER_MIN_BYTES = 64 * 1024;

const NO_TRANSFER: readonly ArrayBuffer[] = Object.freeze([]);

/** Pack an executor task for a worker, with its progress slot. The returned `transfer` list must be passed to the thread. */
export function packTask(
  task: ExecutorTask,
  token: number,
  progress: { readonly buffer: SharedArrayBuffer; readonly offset: number },
  logLevel: string,
): { wire: WireTask; transfer: readonly ArrayBuffer[] } {
  const msgs = task.messages;
  const n = msgs.length;
  const valuesAt = valuesOffset(n);
  let total = valuesAt;
  for (let i = 0; i < n; i++) total += msgs[i]!.value?.byteLength ?? 0;
  const data = new ArrayBuffer(total);
  const view = new Uint8Array(data, valuesAt);
  const numbers = new Float64Array(data, 0, n * NUMBERS_PER_MESSAGE);
  const keys = new Array<string | undefined>(n);
  const offsets = new Array<string>(n);
  const topic0 = n > 0 ? msgs[0]!.topic : '';
  let topics: string[] | null = null;
  let ids: string[] | null = null;
  let headers: Headers[] | null = null;
  let tombstones: number[] | null = null;
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const m: ExecutorMessage = msgs[i]!;
    if (m.value === null) (tombstones ??= []).push(i);
    else {
      view.set(m.value, pos);
      pos += m.value.byteLength;
    }
    const b = i * NUMBERS_PER_MESSAGE;
    numbers[b] = pos;
    numbers[b + 1] = m.partition;
    numbers[b + 2] = m.timestamp;
    numbers[b + 3] = m.attempt;
    keys[i] = m.key;
    offsets[i] = m.offset;
    if (topics === null && m.topic !== topic0) topics = msgs.slice(0, i).map((x) => x.topic);
    if (topics !== null) topics.push(m.topic);
    if (ids === null && m.id !== `${m.topic}/${m.partition}/${m.offset}`) ids = msgs.slice(0, i).map((x) => x.id);
    if (ids !== null) ids.push(m.id);
    if (headers === null) {
      for (const _ in m.headers) {
        headers = msgs.slice(0, i).map((x) => x.headers);
        break;
      }
    }
    if (headers !== null) headers.push(m.headers);
  }
  const wire: WireTask = {
    token,
    handler: task.handler,
    worker: task.worker,
    timeoutMs: task.timeoutMs,
    contentType: task.contentType,
    codecModule: task.codecModule ?? null,
    trace: task.trace,
    count: n,
    data,
    topics: topics ?? topic0,
    keys,
    offsets,
    ids,
    headers,
    tombstones,
    progress: progress.buffer,
    progressOffset: progress.offset,
    log: { level: logLevel, bindings: task.logBindings ?? { handler: task.handler } },
  };
  return { wire, transfer: total >= TRANSFER_MIN_BYTES ? [data] : NO_TRANSFER };
}

const NO_HEADERS: Headers = Object.freeze({});

/** The numbers of a wire task (worker side): `NUMBERS_PER_MESSAGE` per message. */
export function wireNumbers(wire: WireTask): Float64Array {
  return new Float64Array(wire.data, 0, wire.count * NUMBERS_PER_MESSAGE);
}

/** Message `i` of a wire task (worker side) with its decoded `value`; `numbers` from {@link wireNumbers}. */
export function wireMessage<T>(wire: WireTask, numbers: Float64Array, i: number, value: T): Message<T> {
  const b = i * NUMBERS_PER_MESSAGE;
  const topic = typeof wire.topics === 'string' ? wire.topics : wire.topics[i]!;
  const partition = numbers[b + 1]!;
  const offset = wire.offsets[i]!;
  return {
    id: wire.ids === null ? `${topic}/${partition}/${offset}` : wire.ids[i]!,
    topic,
    key: wire.keys[i],
    value,
    headers: wire.headers === null ? NO_HEADERS : wire.headers[i]!,
    partition,
    offset,
    timestamp: numbers[b + 2]!,
    attempt: numbers[b + 3]!,
  };
}

/** Whether message `i` of a wire task is a tombstone (`value: null`, nothing to decode). */
export function isTombstone(wire: WireTask, i: number): boolean {
  return wire.tombstones !== null && wire.tombstones.includes(i);
}

/** The value bytes of message `i` (a view into the task buffer); `numbers` from {@link wireNumbers}. */
export function messageValue(wire: WireTask, numbers: Float64Array, i: number): Uint8Array {
  const end = numbers[i * NUMBERS_PER_MESSAGE]!;
  const start = i === 0 ? 0 : numbers[(i - 1) * NUMBERS_PER_MESSAGE]!;
  return new Uint8Array(wire.data, valuesOffset(wire.count) + start, end - start);
}
