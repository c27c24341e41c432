import type { EachBatchPayload } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { createConsoleLogger, type InboundRecord } from '@partita/core';
import { resolveKafkaOptions } from '../options/kafka-options.js';
import type { ConsumerControl } from '../subscription/consumer-control.js';
import { GenerationGuard } from '../subscription/generation-guard.js';
import { createKafkaLane } from '../subscription/kafka-lane.js';
import { BatchIntake } from './batch-intake.js';

/** An intake feeding one lane of `orders/0`, and a kafkajs batch of these offsets. */
function rig(nextExpected: bigint | undefined) {
  const options = resolveKafkaOptions({
    brokers: ['127.0.0.1:9092'],
    logger: createConsoleLogger({ level: 'silent' }),
  });
  let skewMs = 0;
  const clock = { ...options.clock, now: () => Date.now() + skewMs };
  const lane = createKafkaLane('g', 'orders', 0, false);
  // As the subscription does on a stall: every lane is revoked (disowned) at once.
  const guard = new GenerationGuard(clock, options.sessionTimeoutMs, 1000, () => {
    lane.owned = false;
  });
  const stall = (ms: number): void => {
    skewMs += ms;
  };
  lane.nextExpected = nextExpected;
  const delivered: InboundRecord[] = [];
  lane.sink = { deliver: (records) => void delivered.push(...records) };
  const intake = new BatchIntake(options, guard, {} as ConsumerControl, {
    lane: () => lane,
    awaitBarrier: () => Promise.resolve(),
    closing: false,
  });
  const batch = async (offsets: number[], afterOnBatch: () => void = () => {}): Promise<string[]> => {
    const resolved: string[] = [];
    const payload = {
      batch: {
        topic: 'orders',
        partition: 0,
        messages: offsets.map((o) => ({
          offset: String(o),
          key: null,
          value: Buffer.from('v'),
          headers: {},
          timestamp: '0',
        })),
        lastOffset: () => String(offsets.at(-1)),
      },
      resolveOffset: (o: string) => void resolved.push(o),
      heartbeat: () => Promise.resolve(),
      isRunning: () => true,
    } as unknown as EachBatchPayload;
    await intake.onBatch(payload);
    afterOnBatch();
    await vi.waitFor(() => expect(lane.queued).toBeUndefined());
    return resolved;
  };
  return { lane, delivered, batch, stall, sessionTimeoutMs: options.sessionTimeoutMs };
}

describe('BatchIntake', () => {
  it('skips the records below what the lane expects (the group offset of a new lane), delivering the rest', async () => {
    const { delivered, batch, lane } = rig(12n);
    expect(await batch([10, 11, 12, 13, 14])).toEqual(['14']);
    expect(delivered.map((r) => r.offset)).toEqual(['12', '13', '14']);
    expect(lane.nextExpected).toBe(15n);
  });

  it('never moves kafkajs back for a batch that lies wholly below the expected offset (a fetch made before a join)', async () => {
    const { delivered, batch, lane } = rig(40n);
    expect(await batch([15, 16, 17])).toEqual(['39']);
    expect(delivered).toEqual([]);
    expect(lane.nextExpected).toBe(40n);
  });

  it('delivers a batch of a lane with no expectation as it is', async () => {
    const { delivered, batch } = rig(undefined);
    expect(await batch([0, 1])).toEqual(['1']);
    expect(delivered.map((r) => r.offset)).toEqual(['0', '1']);
  });

  it('delivers nothing when the process stalled past the session timeout between the batch and its delivery', async () => {
    const { delivered, batch, lane, stall, sessionTimeoutMs } = rig(undefined);
    await batch([0, 1], () => stall(sessionTimeoutMs + 1_000));
    expect(lane.owned).toBe(false);
    expect(delivered).toEqual([]);
  });
});
