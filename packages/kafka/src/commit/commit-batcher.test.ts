import { describe, expect, it, vi } from 'vitest';
import { systemClock } from '@partita/core';
import { CommitBatcher, type CommitEntry } from './commit-batcher.js';

const entry = (partition: number, offset = '1'): CommitEntry => ({
  key: `t/${partition}`,
  topic: 't',
  partition,
  offset,
  metadata: null,
});

/** A batcher whose requests the test answers; `marks` counts requests as they go out. */
function rig(opts: { shared?: (err: unknown) => boolean; ready?: (e: CommitEntry) => boolean } = {}) {
  const requests: { entries: readonly CommitEntry[]; resolve: () => void; reject: (err: unknown) => void }[] = [];
  let marks = 0;
  const batcher = new CommitBatcher<CommitEntry, number>(
    systemClock,
    (entries) =>
      new Promise<void>((resolve, reject) => {
        requests.push({ entries, resolve, reject });
      }),
    () => ++marks,
    opts.shared ?? (() => false),
    opts.ready ?? (() => true),
  );
  const sent = (n: number): Promise<void> => vi.waitFor(() => expect(requests.length).toBe(n));
  const partitions = (i: number): number[] => requests[i]!.entries.map((e) => e.partition);
  return { batcher, requests, sent, partitions };
}

describe('CommitBatcher', () => {
  it('sends the commits asked for in one turn as one request', async () => {
    const { batcher, requests, sent, partitions } = rig();
    const outcomes = [0, 1, 2].map((p) => batcher.commit(entry(p)));
    await sent(1);
    expect(partitions(0)).toEqual([0, 1, 2]);
    requests[0]!.resolve();
    for (const o of await Promise.all(outcomes)) expect(o).toEqual({ sent: true, mark: 1, failed: false });
  });

  it('holds commits while a request is in flight and sends them together after it', async () => {
    const { batcher, requests, sent, partitions } = rig();
    const first = batcher.commit(entry(0));
    await sent(1);
    const later = [batcher.commit(entry(1)), batcher.commit(entry(2)), batcher.commit(entry(0, '2'))];
    await new Promise((r) => setImmediate(r));
    expect(requests).toHaveLength(1);
    requests[0]!.resolve();
    await expect(first).resolves.toMatchObject({ sent: true, failed: false });
    await sent(2);
    expect(partitions(1)).toEqual([1, 2, 0]);
    expect(requests[1]!.entries[2]!.offset).toBe('2');
    requests[1]!.resolve();
    for (const o of await Promise.all(later)) expect(o).toEqual({ sent: true, mark: 2, failed: false });
  });

  it('sends a second commit of one partition in the next request, never two in one', async () => {
    const { batcher, requests, sent, partitions } = rig();
    const a = batcher.commit(entry(0, '5'));
    const b = batcher.commit(entry(0, '6'));
    await sent(1);
    expect(partitions(0)).toEqual([0]);
    requests[0]!.resolve();
    await a;
    await sent(2);
    expect(requests[1]!.entries).toEqual([entry(0, '6')]);
    requests[1]!.resolve();
    await expect(b).resolves.toMatchObject({ sent: true, failed: false });
  });

  it("sends each entry alone after a failed request of several, so one partition's error stays its own", async () => {
    const { batcher, requests, sent, partitions } = rig();
    const outcomes = [0, 1].map((p) => batcher.commit(entry(p)));
    await sent(1);
    const bad = new Error('UNKNOWN_TOPIC_OR_PARTITION');
    requests[0]!.reject(bad);
    await sent(2);
    expect(partitions(1)).toEqual([0]);
    requests[1]!.resolve();
    await sent(3);
    expect(partitions(2)).toEqual([1]);
    requests[2]!.reject(bad);
    const [ok, failed] = await Promise.all(outcomes);
    expect(ok).toEqual({ sent: true, mark: 2, failed: false });
    expect(failed).toEqual({ sent: true, mark: 3, failed: true, error: bad });
  });

  it('gives an error that concerns the whole request to every entry, without sending them again', async () => {
    const generation = new Error('ILLEGAL_GENERATION');
    const { batcher, requests, sent } = rig({ shared: (err) => err === generation });
    const outcomes = [0, 1].map((p) => batcher.commit(entry(p)));
    await sent(1);
    requests[0]!.reject(generation);
    for (const o of await Promise.all(outcomes))
      expect(o).toEqual({ sent: true, mark: 1, failed: true, error: generation });
    await new Promise((r) => setImmediate(r));
    expect(requests).toHaveLength(1);
  });

  it('asks again just before sending, and reports an entry it may no longer send as not sent', async () => {
    let owned = true;
    const { batcher, requests, sent, partitions } = rig({ ready: (e) => e.partition !== 1 || owned });
    const first = batcher.commit(entry(0));
    await sent(1);
    const waiting = [batcher.commit(entry(1)), batcher.commit(entry(2))];
    owned = false;
    requests[0]!.resolve();
    await first;
    await sent(2);
    expect(partitions(1)).toEqual([2]);
    await expect(waiting[0]).resolves.toEqual({ sent: false });
    requests[1]!.resolve();
    await expect(waiting[1]).resolves.toMatchObject({ sent: true, failed: false });
  });
});
