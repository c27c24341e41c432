import { expect } from 'vitest';
import { defineHandler, NonRetryableError, redriveDeadLetters } from '@partita/core';
import type { OutboundRecord } from '@partita/core';
import type { KitValue } from '../conformance/scenario-harness.js';
import type { Scenario } from '../conformance/scenario.js';
import { adminTransport, kitValue } from './admin-backlog.js';

const count = (list: readonly string[], id: string): number => list.filter((x) => x === id).length;

/**
 * Two groups on one topic; one fails a message with a non-retryable error,
 * so it is dead-lettered. A dry run reports it and publishes nothing; the
 * redrive then hands it to the failing group only, once; the other group
 * does not see it again; nothing is lost.
 */
export const redriveScenario: Scenario = {
  name: 'a dead letter is redriven to the group that failed it only: dry run first, then exactly once, nothing lost',
  async run(h) {
    const topic = await h.topic('adm-redrive');
    const dlq = `${topic}.dlq`;
    await h.prepare(dlq);
    const failing = h.name('adm-redrive-failing');
    const other = h.name('adm-redrive-other');
    const byFailing: string[] = [];
    const byOther: string[] = [];
    let poisoned = true;
    const app = await h.app('groups', [
      defineHandler<KitValue>({
        name: failing,
        topic,
        retry: { maxAttempts: 3, backoff: { initialMs: 20, multiplier: 1, maxMs: 20, jitter: 0 } },
        handle(m) {
          if (m.value.poison && poisoned) throw new NonRetryableError('poison pill');
          byFailing.push(m.value.id);
        },
      }),
      defineHandler<KitValue>({ name: other, topic, handle: (m) => void byOther.push(m.value.id) }),
    ]);
    const deadLettered: unknown[] = [];
    app.on('message.dead-lettered', (e) => deadLettered.push(e));
    await h.lanes(app, 2);
    const good = ['good-0', 'good-1', 'good-2', 'good-3'];
    await app.publish([
      ...good.slice(0, 2).map((id) => ({ topic, key: 'p', value: { id } })),
      { topic, key: 'p', value: { id: 'poison', poison: true } },
      ...good.slice(2).map((id, i) => ({ topic, key: `g-${i}`, value: { id } })),
    ]);
    await h.waitFor(
      () => deadLettered.length === 1 && byFailing.length === 4 && byOther.length === 5,
      'the poison message dead-lettered by one group, every message handled by the other',
      () => `dead-lettered ${deadLettered.length}, failing group ${byFailing.join()}, other group ${byOther.join()}`,
    );

    const t = await adminTransport(h, 'admin');
    const dead = await h.waitFor(async () => {
      const rs = await t.admin.read(dlq);
      return rs.length >= 1 ? rs : undefined;
    }, `the dead letter to be readable in "${dlq}"`);
    expect(dead).toHaveLength(1);
    expect(kitValue(dead[0]!)).toEqual({ id: 'poison', poison: true });
    expect(dead[0]!.headers).toMatchObject({ 'partita-group': failing, 'partita-original-topic': topic });

    let published = 0;
    const counted = {
      admin: t.admin,
      publish: (records: readonly OutboundRecord[]) => {
        published += records.length;
        return t.publish(records);
      },
    };
    const dry = await redriveDeadLetters(counted, { topic: dlq, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, matched: 1, redriven: 0, byGroup: { [failing]: 1 } });
    expect(dry.plan[0]).toMatchObject({ topic, group: failing, key: 'p', reason: 'non-retryable' });
    expect(published, 'a dry run publishes nothing').toBe(0);

    poisoned = false;
    const real = await redriveDeadLetters(counted, { topic: dlq, pageSize: 1 });
    expect(real).toMatchObject({ dryRun: false, matched: 1, redriven: 1 });
    expect(published).toBe(1);
    // A later message of the same key comes after the redriven copy in both groups.
    await app.publish({ topic, key: 'p', value: { id: 'after' } });
    await h.waitFor(
      () => byFailing.includes('after') && byOther.includes('after'),
      'both groups to handle the message published after the redrive',
      () => `failing group ${byFailing.join()}, other group ${byOther.join()}`,
    );
    expect(count(byFailing, 'poison'), 'the failing group handles the redriven message once').toBe(1);
    expect(count(byOther, 'poison'), 'the other group does not see it again').toBe(1);
    for (const id of [...good, 'after']) {
      expect(count(byFailing, id), `${id} in the failing group`).toBe(1);
      expect(count(byOther, id), `${id} in the other group`).toBe(1);
    }
    expect((await t.admin.read(dlq)).length, 'the dead letter stays until purged').toBe(1);
  },
};
