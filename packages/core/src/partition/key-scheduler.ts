import { Deque } from './deque.js';
import type { Entry } from './entry.js';

/**
 * Decides which entries may run. Entries with the same key run one at a time
 * in arrival (offset) order; keyless entries are independent. An entry holds
 * its key from `add` until `release` (success, dead-letter or hand-off to a
 * delayed retry), so a key backing off for a retry parks only that key.
 *
 * Per key, waiting entries form a linked list through `Entry.nextSameKey`;
 * the map holds each busy key's tail. No allocation per key or per message.
 */
export class KeyScheduler {
  private readonly ready = new Deque<Entry>();
  private readonly tails = new Map<string, Entry>();
  private waiting = 0;

  get readyCount(): number {
    return this.ready.length;
  }

  add(entry: Entry): void {
    const key = entry.orderKey;
    if (key === undefined) {
      this.ready.push(entry);
      return;
    }
    const tail = this.tails.get(key);
    this.tails.set(key, entry);
    if (tail === undefined) this.ready.push(entry);
    else {
      tail.nextSameKey = entry;
      this.waiting++;
    }
  }

  /** The entry holding its key is done: the key's next entry becomes ready. */
  release(entry: Entry): void {
    const key = entry.orderKey;
    if (key === undefined) return;
    const next = entry.nextSameKey;
    if (next !== undefined) {
      entry.nextSameKey = undefined;
      this.waiting--;
      this.ready.push(next);
    } else if (this.tails.get(key) === entry) this.tails.delete(key);
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

  /** Forget everything (drain): nothing more will be dispatched. */
  clear(): void {
    this.ready.clear();
    this.tails.clear();
    this.waiting = 0;
  }
}
