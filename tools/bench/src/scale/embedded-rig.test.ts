import { jsonCodec } from '@partita/core';
import { createMemoryBroker, type MemoryBroker } from '@partita/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { fill } from './embedded-rig.js';

const brokers: MemoryBroker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
});

/** Every partition's records as `[key, i]`, in offset order. */
async function contents(partitions: number, byPartition: boolean): Promise<[string | undefined, number][][]> {
  const broker = createMemoryBroker({ defaultPartitions: partitions });
  brokers.push(broker);
  await fill(broker, 't', 300, { keys: 40, size: 64, ...(byPartition ? { partitions } : {}) });
  const out: [string | undefined, number][][] = [];
  for (let p = 0; p < partitions; p++) {
    const recs = broker.fetch({ group: 'g', topic: 't', partition: p, max: 1000 });
    out.push(recs.map((r) => [r.key, (jsonCodec.decode(r.value!) as { i: number }).i]));
  }
  return out;
}

describe('fill', () => {
  it('publishing partition by partition puts the same records on the same partitions in the same order', async () => {
    const interleaved = await contents(8, false);
    const grouped = await contents(8, true);
    expect(grouped).toEqual(interleaved);
    expect(grouped.flat()).toHaveLength(300);
    expect(grouped.filter((p) => p.length > 0).length).toBeGreaterThan(1);
    for (const p of grouped) for (const [key, i] of p) expect(key).toBe(`k${i % 40}`);
  });
});
