// Worker handlers publish (issue 21): what an attempt publishes is sent only
// if it succeeds and is confirmed before its message settles; any codec runs
// on the threads; a three-stage pipeline keeps order per key and loses nothing.
import { describe, expect, it } from 'vitest';
import { createApp, defineHandler, type App, type Message } from '@partita/core';
import { memoryTransport, type MemoryBroker } from '@partita/memory';
import { msgpackCodec } from '@partita/codec-msgpack';
import { workerPool } from '@partita/worker-pool';
import { waitFor } from '@partita/testing';
import { memoryBroker, quiet, stoppedAfterTest, uniq } from '../support/app-harness.js';
import framedJson from './fixtures/framed-json-codec.mjs';

const WORKER = new URL('./fixtures/publisher.worker.mjs', import.meta.url);
const memory = memoryBroker;
const track = (app: App): App => stoppedAfterTest(app, 2000);
const endOffsets = (b: MemoryBroker, topic: string): number =>
  b
    .stats()
    .topics.find((t) => t.name === topic)
    ?.partitions.reduce((n, p) => n + p.endOffset, 0) ?? 0;

describe('ctx.publish in worker handlers', () => {
  it.each([
    ['throws', 'throw-once', {}],
    ['its thread crashes (process.exit)', 'exit-once', {}],
    ['times out', 'hang-once', { timeoutMs: 1500 }],
  ])(
    "an attempt that %s after publishing sends nothing; the next attempt's records are all that reach the topic",
    async (_what, op, extra) => {
      const b = memory();
      const topic = uniq('in');
      const out = uniq('out');
      const name = uniq('stage');
      const got: { from: string; attempt: number; i: number }[] = [];
      const app = track(
        createApp({
          transport: memoryTransport(b),
          executor: workerPool({ threads: 1, logger: quiet }),
          logger: quiet,
          handlers: [
            defineHandler({
              name,
              topic,
              worker: WORKER,
              retry: { maxAttempts: 3, backoff: { initialMs: 10, jitter: 0 } },
              ...extra,
            }),
            defineHandler<{ from: string; attempt: number; i: number }>({
              name: uniq('sink'),
              topic: out,
              handle: (m) => void got.push(m.value),
            }),
          ],
        }),
      );
      await app.start();
      await app.publish({ topic, key: 'k', value: { op, out, id: 'm1' } });
      await waitFor(() => b.committed({ group: name, topic, partition: 0 })?.offset === 1, {
        description: 'source message settled',
        timeoutMs: 60_000,
      });
      // Everything an attempt publishes is confirmed before its message settles: the topic is complete now.
      expect(endOffsets(b, out)).toBe(2);
      await waitFor(() => got.length === 2, { description: 'sink got the records' });
      expect(got).toEqual([
        { from: 'm1', attempt: 2, i: 0 },
        { from: 'm1', attempt: 2, i: 1 },
      ]);
    },
  );

  it('a message that succeeded earlier in a task whose thread then dies is run again: its records died with the thread', async () => {
    const b = memory();
    const topic = uniq('in');
    const out = uniq('out');
    const name = uniq('stage');
    const got: { from: string; attempt: number }[] = [];
    const app = track(
      createApp({
        transport: memoryTransport(b),
        executor: workerPool({ threads: 1, logger: quiet }),
        logger: quiet,
        handlers: [
          defineHandler({
            name,
            topic,
            worker: WORKER,
            retry: { maxAttempts: 3, backoff: { initialMs: 10, jitter: 0 } },
          }),
          defineHandler<{ from: string; attempt: number }>({
            name: uniq('sink'),
            topic: out,
            handle: (m) => void got.push(m.value),
          }),
        ],
      }),
    );
    await app.start();
    // One task: "a" publishes and succeeds, then "b" kills the thread.
    await app.publish([
      { topic, key: 'a', value: { op: 'publish-ok', out, id: 'a' } },
      { topic, key: 'b', value: { op: 'exit-once', out, id: 'b' } },
    ]);
    await waitFor(() => b.committed({ group: name, topic, partition: 0 })?.offset === 2, {
      description: 'both settled',
      timeoutMs: 60_000,
    });
    await waitFor(() => got.length === endOffsets(b, out), { description: 'sink caught up' });
    expect(got.filter((r) => r.from === 'a').length).toBeGreaterThanOrEqual(1);
    expect(got.filter((r) => r.from === 'b').map((r) => r.attempt)).toEqual([2, 2]);
  });

  it('encodes and decodes with a custom codec module on both sides of the thread hop; an undecodable payload is dead-lettered as decode', async () => {
    const b = memory();
    const topic = uniq('in');
    const out = uniq('out');
    const name = uniq('stage');
    const got: unknown[] = [];
    const app = track(
      createApp({
        transport: memoryTransport(b),
        executor: workerPool({ threads: 1, logger: quiet }),
        logger: quiet,
        codec: framedJson,
        handlers: [
          defineHandler({ name, topic, worker: WORKER, retry: { maxAttempts: 2, backoff: { initialMs: 10 } } }),
          defineHandler({ name: uniq('sink'), topic: out, handle: (m: Message) => void got.push(m.value) }),
        ],
      }),
    );
    await app.start();
    await app.publish({ topic, key: 'k', value: { op: 'transform', out, id: 'a', seq: 1, total: 21 } });
    await waitFor(() => got.length === 1, { description: 'transformed record decoded by the sink' });
    expect(got[0]).toEqual({ id: 'a', seq: 1, total: 42 });
    // A payload whose frame is broken: the worker's codec refuses it.
    await b.publish({
      topic,
      key: 'k',
      value: new TextEncoder().encode('not framed'),
      headers: { 'content-type': framedJson.contentType },
    });
    await waitFor(() => b.stats().deadLetters.total === 1, { description: 'dead-lettered' });
    expect(b.stats().deadLetters.byTopic[topic]!.byReason).toEqual({ decode: 1 });
  });

  it('a large binary value published from a worker arrives whole', async () => {
    const b = memory();
    const topic = uniq('in');
    const out = uniq('out');
    const sizes: number[] = [];
    const codec = msgpackCodec();
    const app = track(
      createApp({
        transport: memoryTransport(b),
        executor: workerPool({ threads: 1, logger: quiet }),
        logger: quiet,
        codec,
        handlers: [
          defineHandler({ name: uniq('stage'), topic, worker: WORKER }),
          defineHandler({
            name: uniq('sink'),
            topic: out,
            handle: (m: Message) => {
              const v = m.value as Uint8Array;
              sizes.push(v.byteLength === 300_000 && v.every((x) => x === 7) ? v.byteLength : -1);
            },
          }),
        ],
      }),
    );
    await app.start();
    await app.publish([1, 2, 3].map((n) => ({ topic, key: `k${n}`, value: { op: 'blob', out, size: 300_000 } })));
    await waitFor(() => sizes.length === 3, { description: 'blobs arrived' });
    expect(sizes).toEqual([300_000, 300_000, 300_000]);
  });

  it('a three-stage pipeline (inline validate → worker transform → inline sink) keeps order per key and loses nothing, with retries and a poison message', async () => {
    const b = memory(4);
    const orders = uniq('orders');
    const valid = uniq('valid');
    const priced = uniq('priced');
    const transform = uniq('transform');
    const seen = new Map<string, number[]>();
    const app = track(
      createApp({
        transport: memoryTransport(b),
        executor: workerPool({ threads: 2, logger: quiet }),
        logger: quiet,
        handlers: [
          defineHandler<{ id: string; seq: number; total: number; flaky?: boolean; poison?: boolean }>({
            name: uniq('validate'),
            topic: orders,
            async handle(m, ctx) {
              await ctx.publish({ topic: valid, key: m.key, value: { op: 'transform', out: priced, ...m.value } });
            },
          }),
          defineHandler({
            name: transform,
            topic: valid,
            worker: WORKER,
            retry: { maxAttempts: 3, backoff: { initialMs: 5, jitter: 0 } },
          }),
          defineHandler<{ id: string; seq: number; total: number }>({
            name: uniq('sink'),
            topic: priced,
            handle(m) {
              const list = seen.get(m.key!) ?? [];
              list.push(m.value.seq);
              seen.set(m.key!, list);
            },
          }),
        ],
      }),
    );
    await app.start();
    const keys = 20;
    const perKey = 15;
    const msgs = [];
    for (let seq = 0; seq < perKey; seq++) {
      for (let k = 0; k < keys; k++) {
        const poison = k === 3 && seq === 7;
        msgs.push({
          topic: orders,
          key: `c-${k}`,
          value: { id: `c-${k}/${seq}`, seq, total: seq, flaky: seq % 4 === 1, poison },
        });
      }
    }
    await app.publish(msgs);
    await waitFor(
      () =>
        [...seen.values()].reduce((n, l) => n + l.length, 0) === keys * perKey - 1 && b.stats().deadLetters.total === 1,
      { description: 'pipeline drained', timeoutMs: 90_000 },
    );
    for (let k = 0; k < keys; k++) {
      const expected = Array.from({ length: perKey }, (_, s) => s).filter((s) => !(k === 3 && s === 7));
      expect(seen.get(`c-${k}`), `order of c-${k}`).toEqual(expected);
    }
    expect((await memoryTransport(b).admin.read(`${valid}.dlq`))[0]!.key).toBe('c-3');
  });
});
