import type { ExecutorMessage, ExecutorTask, Headers, Message, SerializedError } from '@partita/core';

/**
 * A task as it crosses to a worker thread. Values travel as one transferred
 * buffer (never one structured clone per message: cloning a slice copies its
 * whole backing buffer); numbers travel as one transferred Float64Array.
 * Progress is a SharedArrayBuffer the worker writes and the pool reads even
 * when the thread dies or hangs.
 */
export interface WireTask {
  readonly token: number;
  readonly handler: string;
  readonly worker: string;
  readonly timeoutMs: number;
  readonly contentType: string;
  readonly trace: Headers | undefined;
  readonly count: number;
  /** All values back to back. */
  readonly bytes: ArrayBuffer;
  /** Per message: value end offset, partition, timestamp, attempt. */
  readonly numbers: Float64Array;
  /** One topic for all messages, or one per message. */
  readonly topics: string | readonly string[];
  readonly keys: readonly (string | undefined)[];
  readonly offsets: readonly string[];
  /** `null` when every id is `${topic}/${partition}/${offset}`. */
  readonly ids: readonly string[] | null;
  /** `null` when no message has headers. */
  readonly headers: readonly Headers[] | null;
  readonly progress: SharedArrayBuffer;
}

/** What the worker returns for a task. */
export interface WireResult {
  readonly threadId: number;
  /** Handler (and decode) time for the whole task, in ms. */
  readonly elapsedMs: number;
  /** Failed messages as [index, error]; empty when all succeeded. */
  readonly failures: readonly (readonly [number, SerializedError])[];
}

/** A message the worker posts on its parent port (outside the task channel). */
export type WireEvent =
  | { readonly partita: 'log'; readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly msg: string; readonly fields: Record<string, unknown> | undefined; readonly handler: string; readonly threadId: number }
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
export const Status = { pending: 0, ok: 1, failedRetryable: 2, failedFinal: 3 } as const;

const EMPTY = new ArrayBuffer(0);

/** Pack an executor task for a worker. The returned `transfer` list must be passed to the thread. */
export function packTask(task: ExecutorTask, token: number): { wire: WireTask; transfer: ArrayBuffer[] } {
  const msgs = task.messages;
  const n = msgs.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += msgs[i]!.value.byteLength;
  const bytes = total === 0 ? EMPTY : new ArrayBuffer(total);
  const view = new Uint8Array(bytes);
  const numbers = new Float64Array(n * NUMBERS_PER_MESSAGE);
  const keys = new Array<string | undefined>(n);
  const offsets = new Array<string>(n);
  const topic0 = n > 0 ? msgs[0]!.topic : '';
  let topics: string[] | null = null;
  let ids: string[] | null = null;
  let headers: Headers[] | null = null;
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const m: ExecutorMessage = msgs[i]!;
    view.set(m.value, pos);
    pos += m.value.byteLength;
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
      for (const _ in m.headers) { headers = msgs.slice(0, i).map((x) => x.headers); break; }
    }
    if (headers !== null) headers.push(m.headers);
  }
  const progress = new SharedArrayBuffer(PROGRESS_HEADER_BYTES + n);
  const wire: WireTask = {
    token, handler: task.handler, worker: task.worker, timeoutMs: task.timeoutMs, contentType: task.contentType,
    trace: task.trace, count: n, bytes, numbers, topics: topics ?? topic0, keys, offsets, ids, headers, progress,
  };
  return { wire, transfer: bytes === EMPTY ? [numbers.buffer as ArrayBuffer] : [bytes, numbers.buffer as ArrayBuffer] };
}

const NO_HEADERS: Headers = Object.freeze({}) as Headers;

/** Message `i` of a wire task (worker side) with its decoded `value`. */
export function wireMessage<T>(wire: WireTask, i: number, value: T): Message<T> {
  const b = i * NUMBERS_PER_MESSAGE;
  const topic = typeof wire.topics === 'string' ? wire.topics : wire.topics[i]!;
  const partition = wire.numbers[b + 1]!;
  const offset = wire.offsets[i]!;
  return {
    id: wire.ids === null ? `${topic}/${partition}/${offset}` : wire.ids[i]!,
    topic,
    key: wire.keys[i],
    value,
    headers: wire.headers === null ? NO_HEADERS : wire.headers[i]!,
    partition,
    offset,
    timestamp: wire.numbers[b + 2]!,
    attempt: wire.numbers[b + 3]!,
  };
}

/** The value bytes of message `i` (a view into the task buffer). */
export function messageValue(wire: WireTask, i: number): Uint8Array {
  const end = wire.numbers[i * NUMBERS_PER_MESSAGE]!;
  const start = i === 0 ? 0 : wire.numbers[(i - 1) * NUMBERS_PER_MESSAGE]!;
  return new Uint8Array(wire.bytes, start, end - start);
}
