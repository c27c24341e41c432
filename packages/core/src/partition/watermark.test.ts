import { describe, expect, it } from 'vitest';
import { Entry, type EntryLane } from './entry.js';
import { S } from './message-lifecycle.js';
import { Watermark, parseSettledOffsets } from './watermark.js';

const lane = {
  ref: { handler: 'h', group: 'g', topic: 't', partition: 0 },
  ctx: {} as EntryLane['ctx'],
};
const entry = (off: number): Entry =>
  new Entry(lane, { key: undefined, value: null, headers: {}, offset: String(off), timestamp: 0 }, off, 0);

/** Track offsets 0..n-1 and settle those `settled` picks, in offset order. */
function window(n: number, settled: (off: number) => boolean): Watermark {
  const w = new Watermark();
  const entries = Array.from({ length: n }, (_, i) => entry(i));
  for (const e of entries) w.track(e);
  for (const e of entries) {
    if (!settled(e.off)) continue;
    e.state = S.settled;
    w.settled(e);
    w.advance();
  }
  return w;
}

describe('Watermark', () => {
  it('commits one past the settled run from the start and lists settled runs above it as metadata', () => {
    const w = window(10, (o) => o < 3 || (o >= 5 && o <= 7));
    expect(w.value()).toBe(3);
    expect(w.metadata()).toBe('v1:3:2+3');
    expect([...parseSettledOffsets(w.metadata())]).toEqual([5, 6, 7]);
  });

  it('with no settled offset above the watermark there is no metadata', () => {
    expect(window(5, () => true).metadata()).toBeUndefined();
    expect(window(5, (o) => o < 2).metadata()).toBeUndefined();
  });

  it('caps the metadata at 3000 characters, listing only settled offsets (the rest is redelivered, never skipped)', () => {
    const w = window(20_000, (o) => o % 2 === 1);
    const metadata = w.metadata()!;
    expect(metadata.length).toBeLessThanOrEqual(3_000 + 'v1:0:'.length);
    const listed = parseSettledOffsets(metadata);
    expect(listed.size).toBeGreaterThan(100);
    expect(listed.size).toBeLessThan(10_000);
    for (const o of listed) expect(o % 2, `offset ${o} is unsettled`).toBe(1);
    // A prefix: every settled offset up to the last listed one is listed.
    const last = Math.max(...listed);
    for (let o = 1; o <= last; o += 2) expect(listed.has(o)).toBe(true);
  });

  it('ignores metadata it did not write', () => {
    expect(parseSettledOffsets(undefined).size).toBe(0);
    expect(parseSettledOffsets('someone else').size).toBe(0);
    expect(parseSettledOffsets('v1:zz').size).toBe(0);
    expect(parseSettledOffsets('v1:0:_+_,2+1')).toEqual(new Set([2]));
  });
});
