import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS } from '../dead-letter/dead-letter-record.js';
import type { BrowsedRecord, ReadOptions, TransportAdmin } from '../transport/transport-admin.js';
import type { OutboundRecord } from '../transport/transport.js';
import { redriveDeadLetters } from './redrive-dead-letters.js';

/** An offset-model admin over fixed records: `from` inclusive, as the contract says. */
function fakeAdmin(
  topic: string,
  partitions: readonly (readonly BrowsedRecord[])[],
): TransportAdmin & { reads: number } {
  return {
    reads: 0,
    topics: () => Promise.resolve([{ name: topic, partitions: partitions.length, depth: partitions.flat().length }]),
    lag: () => Promise.resolve([]),
    read(t: string, o: ReadOptions = {}) {
      this.reads++;
      const parts = o.partition === undefined ? partitions : [partitions[o.partition]!];
      const from = o.from === undefined || o.from === 'earliest' ? 0 : Number(o.from);
      const out = parts.flatMap((p) => p.filter((r) => Number(r.position) >= from)).slice(0, o.limit ?? 100);
      return Promise.resolve(t === topic ? out : []);
    },
    purge: () => Promise.resolve({ removed: 0 }),
  };
}

const deadLetter = (partition: number, offset: number, group = 'g'): BrowsedRecord => ({
  topic: 'orders.dlq',
  partition,
  position: String(offset),
  key: `k${partition}-${offset}`,
  value: new TextEncoder().encode(`v${partition}-${offset}`),
  headers: {
    [DLQ_HEADERS.topic]: 'orders',
    [DLQ_HEADERS.group]: group,
    [DLQ_HEADERS.reason]: 'non-retryable',
  },
  timestamp: 1_000 + offset,
});

describe('redriveDeadLetters', () => {
  const partitions = [
    [0, 1, 2, 3, 4].map((o) => deadLetter(0, o)),
    [0, 1, 2].map((o) => deadLetter(1, o, o === 1 ? 'other' : 'g')),
  ];
  const ids = ['0:0', '0:1', '0:2', '0:3', '0:4', '1:0', '1:1', '1:2'];

  for (const pageSize of [1, 2, 3, 500])
    it(`pages through every dead letter exactly once with pageSize ${pageSize}, each page bringing pageSize new ones (from is inclusive)`, async () => {
      const published: OutboundRecord[] = [];
      const admin = fakeAdmin('orders.dlq', partitions);
      const transport = {
        admin,
        publish: (records: readonly OutboundRecord[]) => {
          published.push(...records);
          return Promise.resolve();
        },
      };
      const report = await redriveDeadLetters(transport, { topic: 'orders.dlq', pageSize });
      expect(report.plan.map((p) => p.id)).toEqual(ids);
      expect(report).toMatchObject({ matched: 8, redriven: 8, byGroup: { g: 7, other: 1 } });
      expect(published.map((r) => r.key)).toEqual(ids.map((id) => `k${id.replace(':', '-')}`));
      // a page holds pageSize unseen records (the inclusive `from` record is read again and dropped),
      // and one more read per partition finds nothing new
      expect(admin.reads).toBeLessThanOrEqual(partitions.reduce((n, p) => n + Math.ceil(p.length / pageSize) + 1, 0));
    });

  it('a dry run plans without publishing', async () => {
    const published: OutboundRecord[] = [];
    const report = await redriveDeadLetters(
      { admin: fakeAdmin('orders.dlq', partitions), publish: (r) => Promise.resolve(void published.push(...r)) },
      { topic: 'orders.dlq', pageSize: 2, dryRun: true, filter: { group: 'other' } },
    );
    expect(report).toMatchObject({ dryRun: true, matched: 1, redriven: 0, byGroup: { other: 1 } });
    expect(report.plan).toEqual([{ id: '1:1', topic: 'orders', group: 'other', key: 'k1-1', reason: 'non-retryable' }]);
    expect(published).toEqual([]);
  });
});
