// Records as bytes through the runtime on a real broker: binary keys and
// header values round-trip byte for byte through a delayed retry and the
// dead-letter topic, and tombstones (null values) are delivered, published,
// retried and dead-lettered as tombstones. Read back with a plain kafkajs
// consumer, so what a non-partita client sees is what is checked.
import { afterEach, describe, expect, it } from 'vitest';
import { createConsoleLogger, createApp, defineHandler, DLQ_HEADERS, RETRY_HEADERS } from '@partita/core';
import type { App } from '@partita/core';
import { headerBytes, headerText, rawProducer, rawReader, type RawRecord } from './kafka-raw-client.js';
import { kafkaSkipReason, testTransport, unique, until } from './kafka-test-env.js';

const quiet = createConsoleLogger({ level: 'silent' });
/** Not valid UTF-8 (a lone continuation byte, an overlong form, an invalid lead byte), with a NUL. */
const BINARY_KEY = Buffer.from([0x80, 0x00, 0xc0, 0xaf, 0xff, 0x6b]);
const BINARY_HEADER = Buffer.from([0xfe, 0xed, 0xc3, 0x28, 0x00, 0xa0]);
const retryDelayed = { maxAttempts: 2, mode: 'delayed', backoff: { initialMs: 300, jitter: 0 } } as const;

describe.skipIf(kafkaSkipReason !== undefined)('kafka records as bytes', () => {
  const closing: { close(): Promise<void> }[] = [];
  const apps: App[] = [];
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.stop({ drainTimeoutMs: 2_000 }).catch(() => {});
    for (const c of closing.splice(0)) await c.close().catch(() => {});
  });

  async function startApp(handler: Parameters<typeof defineHandler<unknown>>[0]): Promise<App> {
    const app = createApp({
      transport: testTransport({ partitions: 2 }),
      logger: quiet,
      handlers: [defineHandler(handler)],
    });
    apps.push(app);
    await app.start();
    return app;
  }

  it('a binary key and header value round-trip byte for byte through a retry tier and the DLQ; original-* describe the first record', async () => {
    const topic = unique('bin');
    const seen: { attempt: number; key: string | undefined; text: string | undefined }[] = [];
    await startApp({
      name: unique('h'),
      topic,
      retry: retryDelayed,
      handle: (m) => {
        if ((m.value as { ok?: boolean }).ok) return;
        seen.push({ attempt: m.attempt, key: m.key, text: m.headers.txt });
        throw new Error('fails every time');
      },
    });
    const producer = await rawProducer();
    closing.push(producer);
    // three good records first, so the failing record's main-topic offset (3) differs from its retry-tier offset
    await producer.send(
      topic,
      [0, 1, 2].map((i) => ({ partition: 1, key: `ok${i}`, value: JSON.stringify({ ok: true }) })),
    );
    await producer.send(topic, [
      {
        partition: 1,
        key: BINARY_KEY,
        value: JSON.stringify({ n: 1 }),
        headers: { bin: BINARY_HEADER, txt: 'plain text ✓' },
      },
    ]);
    const tier = `${topic}.retry.500ms`;
    const reader = await rawReader([tier, `${topic}.dlq`]);
    closing.push(reader);
    const dlq = await until(() => reader.records.find((r) => r.topic === `${topic}.dlq`), 'the dead-letter copy');
    const retry = await until(() => reader.records.find((r) => r.topic === tier), 'the retry-tier copy');
    expect(seen.map((s) => s.attempt)).toEqual([1, 2]);
    expect(seen.every((s) => s.text === 'plain text ✓')).toBe(true);

    for (const copy of [retry, dlq] as RawRecord[]) {
      expect(copy.key, copy.topic).toEqual(BINARY_KEY);
      expect(headerBytes(copy.headers, 'bin'), copy.topic).toEqual(BINARY_HEADER);
      expect(headerText(copy.headers, 'txt'), copy.topic).toBe('plain text ✓');
      expect(copy.value?.toString()).toBe(JSON.stringify({ n: 1 }));
      expect(headerBytes(copy.headers, DLQ_HEADERS.key), `${copy.topic}: ${DLQ_HEADERS.key}`).toEqual(BINARY_KEY);
    }
    expect(headerText(retry.headers, RETRY_HEADERS.attempt)).toBe('2');
    // the dead-letter copy describes the record as first published on the main topic, not its retry-tier copy
    expect(headerText(dlq.headers, DLQ_HEADERS.topic)).toBe(topic);
    expect(headerText(dlq.headers, DLQ_HEADERS.partition)).toBe('1');
    expect(headerText(dlq.headers, DLQ_HEADERS.offset)).toBe('3');
    expect(retry.offset).toBe('0');
    expect(headerText(dlq.headers, DLQ_HEADERS.attempts)).toBe('2');
  });

  it('tombstones: delivered as value null with their key, published as null values, retried and dead-lettered as tombstones', async () => {
    const topic = unique('tomb');
    const out = unique('tomb-out');
    const handled: { key: string | undefined; value: unknown; attempt: number }[] = [];
    const app = await startApp({
      name: unique('h'),
      topic,
      retry: retryDelayed,
      handle: (m) => {
        handled.push({ key: m.key, value: m.value, attempt: m.attempt });
        if (m.key === 'bad') throw new Error('a failing tombstone');
      },
    });
    const producer = await rawProducer();
    closing.push(producer);
    await producer.send(topic, [
      { key: 'gone', value: null },
      { key: 'bad', value: null },
      { key: 'live', value: JSON.stringify({ v: 1 }) },
    ]);
    await app.publish([
      { topic: out, key: 'deleted', value: null },
      { topic: out, key: 'kept', value: { v: 2 } },
    ]);
    const reader = await rawReader([out, `${topic}.retry.500ms`, `${topic}.dlq`]);
    closing.push(reader);

    await until(
      () => handled.some((h) => h.key === 'bad' && h.attempt === 2) && handled.some((h) => h.key === 'gone'),
      'the tombstones handled',
    );
    expect(handled.find((h) => h.key === 'gone')).toEqual({ key: 'gone', value: null, attempt: 1 });
    // At least once: a rebalance while the first attempt is handed off may run attempt 1 again (a duplicate, never a loss).
    const bad = handled.filter((h) => h.key === 'bad');
    expect(bad[0]).toEqual({ key: 'bad', value: null, attempt: 1 });
    expect(bad.at(-1)).toEqual({ key: 'bad', value: null, attempt: 2 });
    expect(bad.every((h) => h.value === null && (h.attempt === 1 || h.attempt === 2))).toBe(true);
    expect(handled.find((h) => h.key === 'live')?.value).toEqual({ v: 1 });

    const published = await until(
      () =>
        reader.records.filter((r) => r.topic === out).length === 2
          ? reader.records.filter((r) => r.topic === out)
          : undefined,
      'the published records',
    );
    const deleted = published.find((r) => r.key?.toString() === 'deleted')!;
    expect(deleted.value).toBeNull();
    expect(headerText(deleted.headers, 'content-type')).toBeUndefined();
    expect(published.find((r) => r.key?.toString() === 'kept')!.value).not.toBeNull();

    const retry = await until(
      () => reader.records.find((r) => r.topic === `${topic}.retry.500ms`),
      'the retry-tier copy',
    );
    const dlq = await until(() => reader.records.find((r) => r.topic === `${topic}.dlq`), 'the dead-letter copy');
    for (const copy of [retry, dlq]) {
      expect(copy.value, copy.topic).toBeNull();
      expect(copy.key?.toString()).toBe('bad');
    }
    expect(headerText(dlq.headers, DLQ_HEADERS.reason)).toBe('max-retries');
    // One dead-letter copy per final attempt: a rebalance that runs the last attempt again (at least once, above)
    // may dead-letter it again, never without a run; every copy is the tombstone.
    const copies = reader.records.filter((r) => r.topic === `${topic}.dlq`);
    expect(copies.length).toBeLessThanOrEqual(handled.filter((h) => h.key === 'bad' && h.attempt === 2).length);
    for (const copy of copies) {
      expect(copy.value).toBeNull();
      expect(copy.key?.toString()).toBe('bad');
    }
  });
});
