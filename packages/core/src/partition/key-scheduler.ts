import { Deque } from './deque.js';
import type { Entry } from './entry.js';

/** A key no entry holds: kept in the map instead of deleted (see {@link KeyScheduler}). */
const IDLE: unique symbol = Symbol('idle key');
/** Idle keys kept before they are dropped (and only while they are at least half of the map). */
const MAX_IDLE_KEYS = 256;

/**
 * Decides which entries may run. Entries with the same key run one at a time
 * in arrival (offset) order; keyless entries are independent. An entry holds
 * its key from `add` until `release` (success, dead-letter or hand-off to a
 * delayed retry), so a key backing off for a retry parks only that key.
 *
 * Per key, waiting entries form a linked list through `Entry.nextSameKey`;
 * the map holds each busy key's tail. No allocation per key or per message.
 *
 * A key whose last entry is released stays in the map as {@link IDLE}
 * rather than being deleted, up to {@link MAX_IDLE_KEYS} idle keys: a map
 * that empties and fills with every delivered batch reallocates its table
 * each time it shrinks and grows, and those tables, held by a long-lived
 * map, survive scavenges and are promoted (at 30,000 msg/s on the embedded
 * broker, most of what the lane promoted: 1.5–1.7 MB per scavenge, 0.5–0.7
 * MB without the churn). Past the limit, idle keys are dropped together,
 * so per-key state of keys no longer seen still goes.
 */
export class KeyScheduler {
  private readonly ready = new Deque<Entry>();
  private readonly tails = new Map<string, Entry | typeof IDLE>();
  private waiting = 0;
  private idle = 0;

  /** Keys in the map, idle ones included. */
  get keysHeld(): number {
    return this.tails.size;
  }

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
    if (tail === undefined || tail === IDLE) {
      if (tail === IDLE) this.idle--;
      this.ready.push(entry);
    } else {
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
    } else if (this.tails.get(key) === entry) {
      this.tails.set(key, IDLE);
      if (++this.idle > MAX_IDLE_KEYS && this.idle * 2 > this.tails.size) this.dropIdle();
    }
  }

  private dropIdle(): void {
    for (const [key, tail] of this.tails) if (tail === IDLE) this.tails.delete(key);
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

  /** Forget everything (drain): nothing more will be dispatched. */
  clear(): void {
    this.ready.clear();
    this.tails.clear();
    this.waiting = 0;
    this.idle = 0;
  }
}
