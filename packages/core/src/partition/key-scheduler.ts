import { Deque } from './deque.js';
import type { Entry } from './entry.js';

/** Idle keys kept before they are dropped (and only while they are at least half of the map). */
const MAX_IDLE_KEYS = 256;

/**
 * One key's place in a {@link KeyScheduler}: the last entry added with the
 * key, or undefined while the key is idle (no entry holds it). An entry
 * keeps its key's queue from `add` on (`Entry.keyQueue`), so releasing it
 * needs no lookup by key.
 */
export class KeyQueue {
  tail: Entry | undefined = undefined;
  constructor(readonly key: string) {}
}

/**
 * Decides which entries may run. Entries with the same key run one at a time
 * in arrival (offset) order; keyless entries are independent. An entry holds
 * its key from `add` until `release` (success, dead-letter or hand-off to a
 * delayed retry), so a key backing off for a retry parks only that key.
 *
 * Per key, waiting entries form a linked list through `Entry.nextSameKey`;
 * the map holds each key's {@link KeyQueue} (its tail), and each entry its
 * key's queue. A record costs one map lookup (`add`); `release` looks
 * nothing up, so a key seen four times in a batch costs four lookups instead
 * of ten (the key of a delivered record is a string of its own: the lookup
 * hashes and compares it).
 *
 * A key whose last entry is released stays in the map, idle, rather than
 * being deleted, up to {@link MAX_IDLE_KEYS} idle keys: a map that empties
 * and fills with every delivered batch reallocates its table each time it
 * shrinks and grows, and those tables, held by a long-lived map, survive
 * scavenges and are promoted (at 30,000 msg/s on the embedded broker, most
 * of what the lane promoted: 1.5–1.7 MB per scavenge, 0.5–0.7 MB without the
 * churn). Past the limit, idle keys are dropped together, so per-key state
 * of keys no longer seen still goes.
 */
export class KeyScheduler {
  private readonly ready = new Deque<Entry>();
  private readonly queues = new Map<string, KeyQueue>();
  private waiting = 0;
  private idle = 0;

  /** Keys in the map, idle ones included. */
  get keysHeld(): number {
    return this.queues.size;
  }

  get readyCount(): number {
    return this.ready.length;
  }

  /** A new entry, ordered by `key` (undefined: independent of every other entry). */
  add(entry: Entry, key: string | undefined): void {
    if (key === undefined) {
      this.ready.push(entry);
      return;
    }
    let queue = this.queues.get(key);
    if (queue === undefined) this.queues.set(key, (queue = new KeyQueue(key)));
    else if (queue.tail === undefined) this.idle--;
    entry.keyQueue = queue;
    const tail = queue.tail;
    queue.tail = entry;
    if (tail === undefined) {
      this.ready.push(entry);
    } else {
      tail.nextSameKey = entry;
      this.waiting++;
    }
  }

  /** The entry holding its key is done: the key's next entry becomes ready. */
  release(entry: Entry): void {
    const queue = entry.keyQueue;
    if (queue === undefined) return;
    const next = entry.nextSameKey;
    if (next !== undefined) {
      entry.nextSameKey = undefined;
      this.waiting--;
      this.ready.push(next);
    } else if (queue.tail === entry) {
      queue.tail = undefined;
      if (++this.idle > MAX_IDLE_KEYS && this.idle * 2 > this.queues.size) this.dropIdle();
    }
  }

  private dropIdle(): void {
    for (const [key, queue] of this.queues) if (queue.tail === undefined) this.queues.delete(key);
    this.idle = 0;
  }

  /** A retry is due: it goes first. */
  retry(entry: Entry): void {
    this.ready.unshift(entry);
  }

  next(): Entry | undefined {
    return this.ready.shift();
  }

  /** Entries not yet dispatched (ready or waiting behind their key). */
  waitingCount(): number {
    return this.ready.length + this.waiting;
  }

  /** Forget everything (drain): nothing more will be dispatched, and no key is held any more. */
  clear(): void {
    for (const queue of this.queues.values()) queue.tail = undefined;
    this.ready.clear();
    this.queues.clear();
    this.waiting = 0;
    this.idle = 0;
  }
}
