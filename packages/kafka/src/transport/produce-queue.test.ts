import type { TopicMessages } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { ProduceQueue, type PublishBatch } from './produce-queue.js';

const batch = (topic: string, values: string[], bytes = 10): PublishBatch => ({
  topicMessages: [{ topic, messages: values.map((value) => ({ value })) }],
  bytes,
});

/** A queue whose requests the test answers. */
function rig(opts: { shared?: (err: unknown) => boolean; maxBytes?: number } = {}) {
  const requests: { topicMessages: TopicMessages[]; resolve: () => void; reject: (err: unknown) => void }[] = [];
  const queue = new ProduceQueue(
    (topicMessages) =>
      new Promise<void>((resolve, reject) => {
        requests.push({ topicMessages, resolve, reject });
      }),
    opts.shared ?? (() => false),
    opts.maxBytes,
  );
  const sent = (n: number): Promise<void> => vi.waitFor(() => expect(requests.length).toBe(n));
  const values = (i: number): Record<string, unknown[]> =>
    Object.fromEntries(requests[i]!.topicMessages.map((t) => [t.topic, t.messages.map((m) => m.value)]));
  return { queue, requests, sent, values };
}

describe('ProduceQueue', () => {
  it('sends a publish at once and folds the ones that arrive meanwhile into one request, in order', async () => {
    const { queue, requests, sent, values } = rig();
    const first = queue.publish(batch('a', ['1']));
    expect(requests).toHaveLength(1);
    const later = [
      queue.publish(batch('a', ['2', '3'])),
      queue.publish(batch('b', ['x'])),
      queue.publish(batch('a', ['4'])),
    ];
    requests[0]!.resolve();
    await first;
    await sent(2);
    expect(values(1)).toEqual({ a: ['2', '3', '4'], b: ['x'] });
    requests[1]!.resolve();
    await Promise.all(later);
  });

  it('keeps a fold within maxBytes (a single publish larger than that still goes, alone)', async () => {
    const { queue, requests, sent, values } = rig({ maxBytes: 100 });
    const all = [
      queue.publish(batch('a', ['0'], 10)),
      queue.publish(batch('a', ['1'], 60)),
      queue.publish(batch('a', ['2'], 40)),
      queue.publish(batch('a', ['3'], 500)),
    ];
    requests[0]!.resolve();
    await sent(2);
    expect(values(1)).toEqual({ a: ['1', '2'] });
    requests[1]!.resolve();
    await sent(3);
    expect(values(2)).toEqual({ a: ['3'] });
    requests[2]!.resolve();
    await Promise.all(all);
  });

  it('gives a connection error to every publish of the request, without sending them again', async () => {
    const down = new Error('connection closed');
    const { queue, requests, sent } = rig({ shared: (err) => err === down });
    const first = queue.publish(batch('a', ['1']));
    const folded = [queue.publish(batch('a', ['2'])), queue.publish(batch('b', ['3']))];
    requests[0]!.resolve();
    await first;
    await sent(2);
    requests[1]!.reject(down);
    for (const p of folded) await expect(p).rejects.toBe(down);
    expect(requests).toHaveLength(2);
  });

  it("sends each publish of a failed fold again on its own, so one publish's error stays its own", async () => {
    const missing = new Error('UNKNOWN_TOPIC_OR_PARTITION');
    const { queue, requests, sent, values } = rig();
    const first = queue.publish(batch('a', ['1']));
    const good = queue.publish(batch('a', ['2']));
    const bad = queue.publish(batch('gone', ['3']));
    requests[0]!.resolve();
    await first;
    await sent(2);
    requests[1]!.reject(missing);
    await sent(3);
    expect(values(2)).toEqual({ a: ['2'] });
    requests[2]!.resolve();
    await sent(4);
    expect(values(3)).toEqual({ gone: ['3'] });
    requests[3]!.reject(missing);
    await expect(good).resolves.toBeUndefined();
    await expect(bad).rejects.toBe(missing);
  });
});
