import { expect } from 'vitest';
import { defineHandler } from '@partita/core';
import type { App, PublishMessage } from '@partita/core';
import { formatLedgerReport } from '../../ledger/ledger-report.js';
import type { KitValue } from '../scenario-harness.js';
import { untilAborted } from '../scenario.js';
import type { Scenario } from '../scenario.js';

const ownedPartitions = (app: App, handler: string): string[] =>
  app
    .inspect()
    .lanes.filter((l) => l.handler === handler && l.state !== 'stopped')
    .map((l) => `${l.topic}/${l.partition}`);

const groupSharing: Scenario = {
  name: 'a consumer group shares the load: each message is handled by exactly one member',
  requires: ['consumerGroups'],
  async run(h) {
    const topic = await h.topic('group');
    const name = h.name('shared');
    const member = (label: string) =>
      defineHandler<KitValue>({
        name,
        topic,
        handle: (m) => h.ledger.recordHandled({ id: m.value.id, key: m.key, by: label }),
      });
    const a = await h.app('a', [member('a')]);
    await h.lanes(a, 1, name);
    const b = await h.app('b', [member('b')]);
    // Both members own lanes; with partitions, the rebalance has settled when no partition is owned twice.
    await h.waitFor(
      () => {
        const pa = ownedPartitions(a, name);
        const pb = ownedPartitions(b, name);
        if (pa.length === 0 || pb.length === 0) return false;
        return !h.features.partitions || !pa.some((p) => pb.includes(p));
      },
      'both group members to own lanes',
      () => `a: ${ownedPartitions(a, name).join(',')}; b: ${ownedPartitions(b, name).join(',')}`,
    );
    const total = 400;
    await h.publish(
      a,
      Array.from({ length: total }, (_, i) => ({ topic, key: `k${i % 40}`, value: { id: `g-${i}` } })),
    );
    const report = await h.allHandled(total);
    expect(report.lost, formatLedgerReport(report)).toEqual([]);
    expect(report.byHandler.a ?? 0, 'member a handled some messages').toBeGreaterThan(0);
    expect(report.byHandler.b ?? 0, 'member b handled some messages').toBeGreaterThan(0);
    if (!h.options.rebalanceDuplicates) expect(report.duplicates.count, formatLedgerReport(report)).toBe(0);
  },
};

const newGroupReplays: Scenario = {
  name: 'a new group reads messages published before it subscribed, from the start',
  requires: ['replay'],
  async run(h) {
    const topic = await h.topic('replay');
    const publisher = await h.app('publisher', []);
    const total = 50;
    await h.publish(
      publisher,
      Array.from({ length: total }, (_, i) => ({ topic, key: `k${i % 5}`, value: { id: `r-${i}` } })),
    );
    await h.app('late', [
      defineHandler<KitValue>({
        name: h.name('late'),
        topic,
        handle: (m) => h.ledger.recordHandled({ id: m.value.id, key: m.key, by: 'late' }),
      }),
    ]);
    const report = await h.allHandled(total);
    expect(report.lost, formatLedgerReport(report)).toEqual([]);
    expect(report.orderViolations).toEqual([]);
  },
};

const redeliveredToNextMember: Scenario = {
  name: 'messages not acknowledged before a consumer dies are redelivered to the next one',
  requires: ['consumerGroups'],
  async run(h) {
    const topic = await h.topic('handoff');
    const name = h.name('handoff');
    const hangIds = ['hang-0', 'hang-1', 'hang-2', 'hang-3', 'hang-4'];
    const hanging = new Set<string>();
    const handledByB = new Set<string>();
    const options = {
      name,
      topic,
      // Message-model brokers redeliver after an ack wait derived from this; keep it short.
      timeoutMs: 15_000,
      // A hang aborted at cleanup must go back to the broker, never to the dead-letter topic.
      retry: { maxAttempts: 1_000, backoff: { initialMs: 20, multiplier: 1, maxMs: 20, jitter: 0 } },
    };
    const a = await h.app(
      'a',
      [
        defineHandler<KitValue>({
          ...options,
          async handle(m, ctx) {
            if (m.value.hang) {
              hanging.add(m.value.id);
              await untilAborted(ctx.signal);
              throw new Error('aborted at cleanup');
            }
            h.ledger.recordHandled({ id: m.value.id, key: m.key, by: 'a' });
          },
        }),
      ],
      { killable: true },
    );
    await h.lanes(a, 1, name);
    const messages: PublishMessage<KitValue>[] = [];
    // Many keys, so every partition holding a hanging message also holds settled ones above it (commits move on).
    for (let i = 0; i < 25; i++) messages.push({ topic, key: `k${i}`, value: { id: `ok-${i}` } });
    hangIds.forEach((id, i) =>
      messages.splice(i * 5 + 2, 0, { topic, key: `hang-key-${i}`, value: { id, hang: true } }),
    );
    await h.publish(a, messages);
    await h.waitFor(
      () => hanging.size === hangIds.length && h.ledger.report().handled === 25,
      'a to handle the 25 good messages while the 5 hanging ones are in flight',
      () => `hanging ${hanging.size}; ${formatLedgerReport(h.ledger.report())}`,
    );
    // a dies once its commits or acks reached the broker: no drain, no final commit; the hanging messages were never settled.
    await h.settledWithBroker(a);
    await h.kill(a);
    await h.app('b', [
      defineHandler<KitValue>({
        ...options,
        handle(m) {
          handledByB.add(m.value.id);
          h.ledger.recordHandled({ id: m.value.id, key: m.key, by: 'b' });
        },
      }),
    ]);
    const report = await h.allHandled(30);
    expect(report.lost, formatLedgerReport(report)).toEqual([]);
    for (const id of hangIds) expect(handledByB.has(id), `${id} was redelivered to b`).toBe(true);
  },
};

export const groupScenarios: readonly Scenario[] = [groupSharing, newGroupReplays, redeliveredToNextMember];
