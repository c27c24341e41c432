import type { Consumer } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { createConsoleLogger } from '@partita/core';
import { resolveKafkaOptions } from '../options/kafka-options.js';
import { GenerationGuard } from '../subscription/generation-guard.js';
import { createKafkaLane, type KafkaLane } from '../subscription/kafka-lane.js';
import { LaneCommitter, type CommitterHost } from './lane-committer.js';

const TOPIC = 'orders';

function lane(): KafkaLane {
  return createKafkaLane('g', TOPIC, 0, false);
}

/** kafkajs' answer to a commit of a generation the coordinator no longer has. */
function illegalGeneration(): Error {
  return Object.assign(new Error('The provided group generation is not valid'), { type: 'ILLEGAL_GENERATION' });
}

/** A committer on a fake consumer whose `commitOffsets` calls are answered by the test. */
function rig() {
  const calls: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  const consumer = {
    commitOffsets: vi.fn(
      () =>
        new Promise<void>((resolve, reject) => {
          calls.push({ resolve, reject });
        }),
    ),
  };
  const options = resolveKafkaOptions({
    brokers: ['127.0.0.1:9092'],
    logger: createConsoleLogger({ level: 'silent' }),
  });
  const guard = new GenerationGuard(options.clock, options.sessionTimeoutMs, 1000, () => {});
  const refused = vi.fn();
  const host: CommitterHost = { running: true, lastCrash: undefined, isCurrent: () => true, refused };
  const committer = new LaneCommitter(consumer as unknown as Consumer, guard, options, host);
  guard.joined();
  const answered = async (n: number): Promise<void> => {
    await vi.waitFor(() => expect(calls.length).toBeGreaterThanOrEqual(n));
  };
  return { calls, consumer, committer, guard, refused, answered };
}

describe('LaneCommitter', () => {
  it('sends a commit again when its refusal concerns the generation before a join that kept the lane', async () => {
    const { calls, committer, guard, refused, answered } = rig();
    const l = lane();
    const done = committer.commit(l, '42', undefined);
    await answered(1);
    // The group rebalanced while the commit was in flight, and this member kept the partition.
    guard.joined();
    committer.joined();
    calls[0]!.reject(illegalGeneration());
    await answered(2);
    committer.sent([{ topic: TOPIC, partitions: [{ partition: 0 }] }]);
    calls[1]!.resolve();
    await expect(done).resolves.toBe(true);
    expect(l.committed).toBe('42');
    expect(refused).not.toHaveBeenCalled();
    expect(guard.confirmed).toBe(true);
  });

  it('does not send again when the join took the lane away', async () => {
    const { calls, consumer, committer, guard, refused, answered } = rig();
    const l = lane();
    const done = committer.commit(l, '42', undefined);
    await answered(1);
    guard.joined();
    l.owned = false;
    committer.joined();
    calls[0]!.reject(illegalGeneration());
    await expect(done).resolves.toBe(false);
    expect(consumer.commitOffsets).toHaveBeenCalledTimes(1);
    expect(refused).not.toHaveBeenCalled();
  });

  it('loses the lane when the current generation refuses the commit', async () => {
    const { calls, consumer, committer, refused, answered } = rig();
    const l = lane();
    const done = committer.commit(l, '42', undefined);
    await answered(1);
    calls[0]!.reject(illegalGeneration());
    await expect(done).resolves.toBe(false);
    expect(consumer.commitOffsets).toHaveBeenCalledTimes(1);
    expect(refused).toHaveBeenCalledWith(l, 'ILLEGAL_GENERATION');
  });
});
