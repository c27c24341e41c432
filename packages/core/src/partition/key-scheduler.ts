import { Deque } from './deque.js';
import type { Entry } from './entry.js';

/**
 * Decides which entries may run. Entries with the same key run one at a
 * time in arrival (offset) order; keyless entries are independent. An entry
 * holds its key from `add` until `release` (success, dead-letter or hand-off
 * to a delayed retry), so a key backing off for a retry parks only that key.
 */
export class KeyScheduler {
  private readonly ready = new Deque<Entry>();
  private readonly queues = new Map<string, Deque<Entry>>();

  get readyCount(): number {
    return this.ready.length;
  }

  add(entry: Entry): void {
    const key = entry.key;
    if (key === undefined) {
      this.ready.push(entry);
      return;
    }
    const queue = this.queues.get(key);
    if (queue === undefined) {
      this.queues.set(key, new Deque<Entry>());
      this.ready.push(entry);
    } else {
      queue.push(entry);
    }
  }

  /** The entry holding its key is done: the key's next entry becomes ready. */
  release(entry: Entry): void {
    const key = entry.key;
    if (key === undefined) return;
    const queue = this.queues.get(key);
    if (queue === undefined) return;
    const next = queue.shift();
    if (next === undefined) this.queues.delete(key);
    else this.ready.push(next);
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
    let n = this.ready.length;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  clear(): void {
    this.ready.clear();
    this.queues.clear();
  }
}
