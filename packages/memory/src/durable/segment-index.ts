/** Sorted-array search and the binary layout of `.index` / `.timeindex` files. */

/** First index whose value is greater than `v`. */
export function upperBound(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose value is at least `v`. */
export function lowerBound(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Pack index pairs: `.index` (u32, u32) or `.timeindex` (f64, u32). */
export function packIndex(a: readonly number[], b: readonly number[], time: boolean): Buffer {
  const width = time ? 12 : 8;
  const buf = Buffer.allocUnsafe(a.length * width);
  for (let i = 0, p = 0; i < a.length; i++, p += width) {
    if (time) {
      buf.writeDoubleLE(a[i]!, p);
      buf.writeUInt32LE(b[i]!, p + 8);
    } else {
      buf.writeUInt32LE(a[i]!, p);
      buf.writeUInt32LE(b[i]!, p + 4);
    }
  }
  return buf;
}
