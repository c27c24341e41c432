// SQS behaviour on a real ElasticMQ: per-key order across members (FIFO),
// a member killed with kill -9 mid-batch, and dead-lettering after exactly
// maxAttempts with every header.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createConsoleLogger, createApp, defineHandler, DLQ_HEADERS, type App, type Message } from '@partita/core';
import { queueNameFor } from '@partita/sqs';
import { createLedger, formatLedgerReport, waitFor } from '@partita/testing';
import { deleteQueuesOf, testTransport } from './sqs-helpers.js';
import { endpoint, rawClient, sqsSkipReason, unique } from './sqs-test-env.js';

const here = dirname(fileURLToPath(import.meta.url));
const quiet = createConsoleLogger({ level: 'silent' });
const apps: App[] = [];
const children: ChildProcess[] = [];
const topics: string[] = [];

function app(handlers: Parameters<typeof createApp>[0]['handlers']): App {
  const a = createApp({ transport: testTransport(), handlers, logger: quiet });
  apps.push(a);
  return a;
}

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await Promise.allSettled(apps.map((a) => a.stop({ drainTimeoutMs: 2000 })));
  if (!sqsSkipReason) await deleteQueuesOf(topics.flatMap((t) => [t, `${t}.dlq`]));
});

describe.skipIf(sqsSkipReason !== undefined)('SQS on ElasticMQ', () => {
  it('keeps per-key order across three members of a group (FIFO, MessageGroupId = key) while keys run in parallel', async () => {
    const topic = unique('sqs-fifo3');
    topics.push(topic);
    const group = unique('g');
    const ledger = createLedger();
    let running = 0;
    let maxRunning = 0;
    const member = (by: string) =>
      app([
        defineHandler<{ id: string }>({
          name: group,
          topic,
          ordering: 'key',
          maxInFlight: 16,
          async handle(m) {
            running++;
            maxRunning = Math.max(maxRunning, running);
            await new Promise((r) => setTimeout(r, 1 + (m.offset.charCodeAt(0) % 4)));
            running--;
            ledger.recordHandled({ id: m.value.id, key: m.key, by });
          },
        }),
      ]);
    const members = [member('a'), member('b'), member('c')];
    await Promise.all(members.map((m) => m.start()));
    const keys = 12;
    const perKey = 40;
    for (let i = 0; i < perKey; i++) {
      const batch = Array.from({ length: keys }, (_, k) => ({ topic, key: `key-${k}`, value: { id: `${k}-${i}` } }));
      await members[i % 3]!.publish(batch);
      ledger.recordPublished(batch.map((m) => ({ id: m.value.id, key: m.key })));
    }
    const report = await ledger.waitForAllHandled({ expected: keys * perKey, timeoutMs: 120_000 });
    expect(report.lost, formatLedgerReport(report)).toEqual([]);
    expect(report.orderViolations, formatLedgerReport(report)).toEqual([]);
    expect(report.duplicates.count).toBe(0);
    for (const by of ['a', 'b', 'c']) expect(report.byHandler[by] ?? 0, `member ${by} handled some`).toBeGreaterThan(0);
    expect(maxRunning, 'keys ran concurrently').toBeGreaterThan(1);
    ledger.close();
  });

  it('a member killed with kill -9 mid-batch: its messages reappear after the visibility timeout and a survivor handles them', async () => {
    const topic = unique('sqs-kill');
    topics.push(topic);
    const group = unique('g');
    const total = 60;
    const finishBelow = 20;
    const child = spawn(
      process.execPath,
      [join(here, 'fixtures', 'sqs-member.mjs'), endpoint, topic, group, String(finishBelow)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(child);
    const started = new Set<string>();
    const doneByChild = new Set<string>();
    let ready = false;
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) {
        const [what, id] = line.split(' ');
        if (what === 'ready') ready = true;
        if (what === 'start') started.add(id!);
        if (what === 'done') doneByChild.add(id!);
      }
    });
    await waitFor(() => ready, { description: 'the child member to start', timeoutMs: 60_000 });
    const publisher = app([]);
    await publisher.start();
    const ids = Array.from({ length: total }, (_, n) => ({ id: `m-${n}`, n }));
    await publisher.publish(ids.map((v) => ({ topic, key: `k${v.n % 30}`, value: v })));
    // Mid-batch: the first 20 done, later ones started and held in flight.
    await waitFor(() => doneByChild.size >= finishBelow && started.size > doneByChild.size, {
      description: 'the child to finish some messages and hold others',
      timeoutMs: 60_000,
    });
    const heldByChild = [...started].filter((id) => !doneByChild.has(id));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const survivor = new Map<string, number>();
    const s = app([
      defineHandler<{ id: string; n: number }>({
        name: group,
        topic,
        ordering: 'key',
        timeoutMs: 5000,
        handle(m) {
          survivor.set(m.value.id, m.attempt);
        },
      }),
    ]);
    await s.start();
    await waitFor(() => ids.every((v) => doneByChild.has(v.id) || survivor.has(v.id)), {
      description: 'every message handled by the child or the survivor',
      timeoutMs: 120_000,
      diagnose: () => `child done ${doneByChild.size}, survivor ${survivor.size}, held ${heldByChild.length}`,
    });
    expect(heldByChild.length).toBeGreaterThan(0);
    for (const id of heldByChild) {
      expect(survivor.has(id), `${id} (held by the killed member) reached the survivor`).toBe(true);
      expect(survivor.get(id), `${id} is a redelivery`).toBeGreaterThanOrEqual(2);
    }
  });

  it.each([
    ['blocking', 'key'],
    ['delayed', 'none'],
  ] as const)(
    'a poison message (%s retry, ordering %s) reaches the dead-letter queue after exactly maxAttempts, with every header',
    async (mode, ordering) => {
      const topic = unique(`sqs-poison-${mode}`);
      const dlq = `${topic}.dlq`;
      topics.push(topic);
      const name = unique('h');
      const attempts: number[] = [];
      const dead: Message<{ id: string }>[] = [];
      const userHeaders = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`x-user-${i}`, `value ${i}`]));
      const a = app([
        defineHandler<{ id: string }>({
          name,
          topic,
          ordering,
          retry: { maxAttempts: 3, mode, backoff: { initialMs: 50, multiplier: 1, maxMs: 50, jitter: 0 } },
          handle(m) {
            attempts.push(m.attempt);
            throw new Error(`poison attempt ${m.attempt}`);
          },
        }),
        defineHandler<{ id: string }>({
          name: unique('dlq-reader'),
          topic: dlq,
          deadLetter: false,
          handle: (m) => void dead.push(m),
        }),
      ]);
      await a.start();
      await a.publish({ topic, key: 'poison-key', value: { id: 'p-1' }, headers: userHeaders });
      await waitFor(() => dead.length >= 1, { description: 'the dead-letter copy', timeoutMs: 60_000 });
      expect(attempts).toEqual([1, 2, 3]);
      const d = dead[0]!;
      expect(d.value).toEqual({ id: 'p-1' });
      expect(d.key).toBe('poison-key');
      expect(d.headers).toMatchObject(userHeaders);
      expect(d.headers).toMatchObject({
        [DLQ_HEADERS.topic]: topic,
        [DLQ_HEADERS.partition]: '0',
        [DLQ_HEADERS.key]: 'poison-key',
        [DLQ_HEADERS.attempts]: '3',
        [DLQ_HEADERS.errorName]: 'MaxRetriesExceededError',
        [DLQ_HEADERS.handler]: name,
        [DLQ_HEADERS.group]: name,
        [DLQ_HEADERS.reason]: 'max-retries',
      });
      for (const h of Object.values(DLQ_HEADERS)) expect(d.headers[h], `header ${h}`).toBeTruthy();
      // The copy is also kept in the dead-letter topic's archive queue (the redrive target).
      const client = rawClient();
      try {
        const archive = queueNameFor('', dlq, '_zdlq', ordering !== 'none');
        const url = `${endpoint}/000000000000/${archive}`;
        const got = await client.send(
          new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5, MessageAttributeNames: ['All'] }),
        );
        expect(got.Messages ?? []).toHaveLength(1);
      } finally {
        client.destroy();
      }
      expect(attempts).toEqual([1, 2, 3]);
    },
  );
});
