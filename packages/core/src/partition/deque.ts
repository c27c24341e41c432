/**
 * A FIFO queue with O(1) push, shift and unshift: a ring buffer whose
 * capacity is a power of two, doubled when full. A lane's queues turn over
 * every record in flight; the ring reuses its slots instead of growing an
 * array and slicing it (what the array with a moving head did: 60–80 bytes
 * of garbage per record, bench `embedded`).
 */
export class Deque<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(16).fill(undefined);
  private mask = 15;
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(item: T): void {
    if (this.size > this.mask) this.grow();
    this.items[(this.head + this.size) & this.mask] = item;
    this.size++;
  }

  /** Put an item at the front (used for retries that are due). */
  unshift(item: T): void {
    if (this.size > this.mask) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.items[this.head] = item;
    this.size++;
  }

  peek(): T | undefined {
    return this.size === 0 ? undefined : this.items[this.head];
  }

  at(index: number): T | undefined {
    return index < 0 || index >= this.size ? undefined : this.items[(this.head + index) & this.mask];
  }

  /** Replace the item at `index` (0 = front). */
  set(index: number, item: T): void {
    if (index >= 0 && index < this.size) this.items[(this.head + index) & this.mask] = item;
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.size--;
    return item;
  }

  /** Keep only the items `keep` accepts, in order (O(n)). */
  retain(keep: (item: T) => boolean): void {
    let kept = 0;
    for (let i = 0; i < this.size; i++) {
      const item = this.items[(this.head + i) & this.mask] as T;
      if (keep(item)) this.items[(this.head + kept++) & this.mask] = item;
    }
    for (let i = kept; i < this.size; i++) this.items[(this.head + i) & this.mask] = undefined;
    this.size = kept;
  }

  clear(): void {
    this.items = new Array<T | undefined>(16).fill(undefined);
    this.mask = 15;
    this.head = 0;
    this.size = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.size; i++) yield this.items[(this.head + i) & this.mask] as T;
  }

  /** Double the capacity, the items in order from index 0. */
  private grow(): void {
    const old = this.items;
    const cap = old.length * 2;
    const items = new Array<T | undefined>(cap).fill(undefined);
    for (let i = 0; i < this.size; i++) items[i] = old[(this.head + i) & this.mask];
    this.items = items;
    this.mask = cap - 1;
    this.head = 0;
  }
}
