import { expect } from 'vitest';
import { defineHandler } from '@partita/core';
import type { Message, PublishMessage } from '@partita/core';
import { formatLedgerReport } from '../../ledger/ledger-report.js';
import type { KitValue } from '../scenario-harness.js';
import type { Scenario } from '../scenario.js';

const roundTrip: Scenario = {
  name: 'publish/subscribe round trip keeps value, key and headers',
  async run(h) {
    const topic = await h.topic('roundtrip');
    const got: Message<KitValue>[] = [];
    const name = h.name('rt');
    const app = await h.app('a', [defineHandler<KitValue>({ name, topic, handle: (m) => void got.push(m) })]);
    await h.lanes(app);
    const value = { id: 'rt-1', text: 'héllo ✓ 日本', n: 42, nested: { list: [1, 2, 3], flag: true, none: null } };
    await app.publish({
      topic,
      key: 'customer-42',
      value,
      headers: { 'x-trace': 'abc-123', 'x-source': 'conformance' },
    });
    await app.publish({ topic, value: { id: 'rt-2' } });
    await h.waitFor(
      () => got.length >= 2,
      'both messages handled',
      () => `got ${got.length}`,
    );
    const keyed = got.find((m) => m.value.id === 'rt-1');
    const keyless = got.find((m) => m.value.id === 'rt-2');
    expect(keyed, 'the keyed message was handled').toBeDefined();
    expect(keyless, 'the keyless message was handled').toBeDefined();
    expect(keyed!.value).toEqual(value);
    expect(keyed!.key).toBe('customer-42');
    expect(keyed!.headers).toMatchObject({ 'x-trace': 'abc-123', 'x-source': 'conformance' });
    expect(keyed!.topic).toBe(topic);
    expect(keyed!.attempt).toBe(1);
    expect(Number.isInteger(keyed!.partition) && keyed!.partition >= 0).toBe(true);
    expect(typeof keyed!.offset === 'string' && keyed!.offset !== '').toBe(true);
    expect(typeof keyed!.id === 'string' && keyed!.id !== '').toBe(true);
    expect(keyed!.timestamp).toBeGreaterThan(Date.UTC(2020, 0, 1));
    expect(keyless!.key).toBeUndefined();
    expect(keyless!.value).toEqual({ id: 'rt-2' });
    expect(got.map((m) => m.id).sort()).toEqual([...new Set(got.map((m) => m.id))].sort());
  },
};

const bulk: Scenario = {
  name: 'every one of many messages is delivered (none lost, no duplicates)',
  async run(h) {
    const total = h.options.bulkMessages;
    const topic = await h.topic('bulk');
    const app = await h.app('a', [
      defineHandler<KitValue>({
        name: h.name('bulk'),
        topic,
        maxInFlight: 256,
        handle: (m) => h.ledger.recordHandled({ id: m.value.id, key: m.key, by: 'a' }),
      }),
    ]);
    await h.lanes(app);
    await h.publish(
      app,
      Array.from({ length: total }, (_, i) => ({ topic, key: `k${i % 64}`, value: { id: `bulk-${i}` } })),
    );
    const report = await h.allHandled(total);
    expect(report.published).toBe(total);
    expect(report.lost, formatLedgerReport(report)).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.duplicates.count, formatLedgerReport(report)).toBe(0);
  },
};

const orderPerKey: Scenario = {
  name: "order per key holds under ordering: 'key' while keys run concurrently",
  async run(h) {
    const topic = await h.topic('order');
    const keys = 24;
    const perKey = 60;
    let running = 0;
    let maxRunning = 0;
    const app = await h.app('a', [
      defineHandler<KitValue>({
        name: h.name('order'),
        topic,
        ordering: 'key',
        maxInFlight: 32,
        async handle(m) {
          running++;
          maxRunning = Math.max(maxRunning, running);
          // Vary how long each message takes so keys interleave.
          await new Promise((r) => setTimeout(r, (m.value.n as number) % 3));
          running--;
          h.ledger.recordHandled({ id: m.value.id, key: m.key, by: 'a' });
        },
      }),
    ]);
    await h.lanes(app);
    const messages: PublishMessage<KitValue>[] = [];
    for (let i = 0; i < perKey; i++)
      for (let k = 0; k < keys; k++) messages.push({ topic, key: `key-${k}`, value: { id: `o-${k}-${i}`, n: i + k } });
    await h.publish(app, messages);
    const report = await h.allHandled(keys * perKey);
    expect(report.lost, formatLedgerReport(report)).toEqual([]);
    expect(report.orderViolations, formatLedgerReport(report)).toEqual([]);
    expect(maxRunning, 'different keys ran concurrently').toBeGreaterThan(1);
  },
};

const topicIsolation: Scenario = {
  name: 'topic isolation: a handler only sees its own topic (also when one name prefixes another)',
  async run(h) {
    const t1 = await h.topic('iso');
    const t2 = `${t1}-b`;
    const t3 = `${t1}-c`;
    await h.prepare(t2, t3);
    const seen1: Message<KitValue>[] = [];
    const seen2: Message<KitValue>[] = [];
    const app = await h.app('a', [
      defineHandler<KitValue>({ name: h.name('iso1'), topic: t1, handle: (m) => void seen1.push(m) }),
      defineHandler<KitValue>({ name: h.name('iso2'), topic: t2, handle: (m) => void seen2.push(m) }),
    ]);
    await h.waitFor(() => new Set(app.inspect().lanes.map((l) => l.topic)).size >= 2, 'lanes of both topics assigned');
    const batch = (topic: string, tag: string) =>
      Array.from({ length: 20 }, (_, i) => ({ topic, key: `k${i % 4}`, value: { id: `${tag}-${i}`, tag } }));
    await app.publish(batch(t3, 't3'));
    await app.publish(batch(t1, 't1'));
    await app.publish(batch(t2, 't2'));
    await h.waitFor(
      () => seen1.length >= 20 && seen2.length >= 20,
      '20 messages on each subscribed topic',
      () => `t1 ${seen1.length}, t2 ${seen2.length}`,
    );
    expect(seen1.every((m) => m.topic === t1 && m.value.tag === 't1')).toBe(true);
    expect(seen2.every((m) => m.topic === t2 && m.value.tag === 't2')).toBe(true);
    expect(seen1).toHaveLength(20);
    expect(seen2).toHaveLength(20);
  },
};

export const deliveryScenarios: readonly Scenario[] = [roundTrip, bulk, orderPerKey, topicIsolation];
