import { describe, expect, it } from 'vitest';
import {
  ARCHIVE_GROUP,
  encodeName,
  isFifoQueue,
  MAX_QUEUE_NAME,
  queueNameFor,
  topicQueuePrefix,
} from './queue-names.js';

describe('queue names', () => {
  it('keep letters, digits and "-", escape every other byte, so the result is SQS-valid and never holds "__"', () => {
    expect(encodeName('orders-2')).toBe('orders-2');
    expect(encodeName('orders.dlq')).toBe('orders_2edlq');
    expect(encodeName('a_b')).toBe('a_5fb');
    expect(encodeName('é')).toBe('_c3_a9');
    for (const name of ['a__b', '___', 'x.y.z', 'ü_ö', 'a_5fb'])
      expect(encodeName(name)).toMatch(/^(?:[A-Za-z0-9-]|_[0-9a-f]{2})+$/);
  });

  it('are injective: names differing in one character give different queues', () => {
    const names = ['a.b', 'a_b', 'a-b', 'a_2eb', 'A.b', 'a.b.'];
    const queues = names.map((t) => queueNameFor('', t, 'g', false));
    expect(new Set(queues).size).toBe(names.length);
  });

  it("a topic's prefix matches its own queues only, also when one topic name prefixes another", () => {
    const p = topicQueuePrefix('', 't1');
    expect(queueNameFor('', 't1', 'g', true).startsWith(p)).toBe(true);
    expect(queueNameFor('', 't1-b', 'g', false).startsWith(p)).toBe(false);
    expect(queueNameFor('', 't1_b', 'g', false).startsWith(p)).toBe(false);
    expect(queueNameFor('', 't1', ARCHIVE_GROUP, false)).toBe('t1___zdlq');
  });

  it('fit in 80 characters with .fifo, hashing long parts (still distinct)', () => {
    const long = 'x'.repeat(200);
    const a = queueNameFor('pre-', `${long}a`, `${long}g`, true);
    const b = queueNameFor('pre-', `${long}b`, `${long}g`, true);
    expect(a.length).toBeLessThanOrEqual(MAX_QUEUE_NAME);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^pre-x+_x[0-9a-f]{12}__x+_x[0-9a-f]{12}\.fifo$/);
    expect(isFifoQueue(a)).toBe(true);
    expect(isFifoQueue(queueNameFor('', 't', 'g', false))).toBe(false);
    const escaped = queueNameFor('', 'é'.repeat(40), 'g', false);
    expect(escaped).toMatch(/^(?:_[0-9a-f]{2})+_x[0-9a-f]{12}__g$/);
  });
});
