import { describe, expect, it } from 'vitest';
import { resolveNatsOptions } from '../options/nats-transport-options.js';
import { durableNameFor, ackWaitFor } from '../consumer/durable-consumer.js';
import { assertTopic, streamNameFor } from './stream-provisioner.js';

const spec = {
  group: 'g',
  topic: 't',
  handler: 'h',
  maxInFlight: 1,
  timeoutMs: 30_000,
  maxAttempts: 5,
  startFrom: 'earliest',
} as const;

describe('naming', () => {
  it('derives stream names without the characters NATS forbids', () => {
    expect(streamNameFor('orders.eu')).toBe('orders_eu');
    expect(streamNameFor('a b/c\\d', 'P_')).toBe('P_a_b_c_d');
  });

  it('validates topics as literal subjects', () => {
    expect(() => assertTopic('orders.eu')).not.toThrow();
    for (const bad of ['', 'a.*', 'a.>', 'a..b', 'a b', '.a']) expect(() => assertTopic(bad)).toThrow(TypeError);
  });

  it('names durables by group, qualified by topic on a shared stream', () => {
    const o = resolveNatsOptions();
    expect(durableNameFor('billing.v2', 'orders', 'orders', o)).toBe('billing_v2');
    expect(durableNameFor('billing', 'orders.eu', 'EVENTS', o)).toBe('billing_orders_eu');
  });

  it('derives ack_wait from the handler timeout plus a margin, unless set', () => {
    expect(ackWaitFor(spec, resolveNatsOptions())).toBe(37_500);
    expect(ackWaitFor({ ...spec, timeoutMs: 1000 }, resolveNatsOptions())).toBe(2000);
    expect(ackWaitFor(spec, resolveNatsOptions({ ackWaitMs: 500 }))).toBe(500);
  });
});
