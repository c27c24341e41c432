import { describe, expect, it } from 'vitest';
import {
  ARCHIVE_GROUP,
  decodeName,
  encodeName,
  isFifoQueue,
  MAX_QUEUE_NAME,
  parseQueueName,
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

  it('decode back to topic and group (the admin lists topics from queue names); hashed or foreign names do not', () => {
    for (const name of ['orders', 'orders.dlq', 'a_b', 'é/ü', 'x__y', 'a_5fb'])
      expect(decodeName(encodeName(name))).toBe(name);
    expect(decodeName('a_x0123456789ab')).toBeUndefined();
    expect(decodeName('a_5F')).toBeUndefined();
    expect(parseQueueName('p-', queueNameFor('p-', 'orders.v2', 'billing', true))).toEqual({
      topicPart: 'orders_2ev2',
      groupPart: 'billing',
      fifo: true,
    });
    expect(parseQueueName('p-', queueNameFor('p-', 'orders.dlq', ARCHIVE_GROUP, false))).toEqual({
      topicPart: 'orders_2edlq',
      groupPart: ARCHIVE_GROUP,
      fifo: false,
    });
    expect(parseQueueName('p-', 'other-queue')).toBeUndefined();
    const long = parseQueueName('p-', queueNameFor('p-', 'long-'.repeat(20), 'g', false))!;
    expect(decodeName(long.topicPart)).toBeUndefined();
    expect(`p-${long.topicPart}__`).toBe(topicQueuePrefix('p-', 'long-'.repeat(20)));
  });
});
