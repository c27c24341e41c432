/**
 * Partition of a key: FNV-1a (32 bit) over the key's UTF-16 code units,
 * modulo the partition count. Stable across processes and restarts, so a key
 * always lands on the same partition of a topic with a fixed partition count.
 * Every connector that makes its own partitions (memory, Redis) uses it.
 */
export function partitionForKey(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}
