import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidTopicError, type SubscriptionSpec } from '@partita/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBroker } from '../broker/create-memory-broker.js';
import type { MemoryBroker } from '../broker/memory-broker.js';
import { dec, enc, recordingSink } from '../testing-support/recording-sink.test-support.js';
import { memoryTransport } from '../transport/memory-transport.js';
import { topicDirName } from './topic-directory.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'partita-topics-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const drain = (b: MemoryBroker, topic: string): string[] => {
  const group = `reader-${Math.random()}`;
  const out: string[] = [];
  for (;;) {
    const recs = b.fetch({ group, topic, partition: 0, max: 500 });
    if (recs.length === 0) return out;
    out.push(...recs.map((r) => dec(r.value)));
  }
};
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const head = (s: string): string => [...s].slice(0, 2).join('');

/** Names every broker refuses, each with the rule its error must name. */
const REFUSED: [string, string, RegExp][] = [
  ['too long in bytes', 'a'.repeat(300), /300 bytes in UTF-8, more than the 249 allowed/],
  ['long non-ASCII (130 chars, 260 bytes)', 'é'.repeat(130), /260 bytes in UTF-8, more than the 249 allowed/],
  ['long non-ASCII that percent-encodes past 255 bytes', 'ü'.repeat(125), /250 bytes/],
  ['a space', 'my topic', /whitespace/],
  ['a slash', 'a/b', /\* > \/ \\/],
  ['a backslash', 'a\\b', /\* > \/ \\/],
  ['a wildcard', 'orders.*', /\* > \/ \\/],
  ['a control character', 'x\u0000y', /control characters/],
  ['a dot-dot', '..', /"\." and "\.\." are not topic names/],
];

describe('durable mode: topic names', () => {
  it('a refused name fails publish, createTopic and fetch with a clear error, records nothing, and the broker reopens with all earlier data', async () => {
    const dir = tmp();
    let b = createMemoryBroker({ dataDir: dir, fsync: 'always' });
    await b.publish([
      { topic: 'before', value: enc('b0') },
      { topic: 'before', value: enc('b1') },
    ]);
    b.commit({ group: 'g', topic: 'before', partition: 0, offset: 1 });
    await b.close();
    for (const [what, name, rule] of REFUSED) {
      b = createMemoryBroker({ dataDir: dir, fsync: 'always' });
      const err = await b.publish({ topic: name, value: enc('x') }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, what).toBeInstanceOf(InvalidTopicError);
      expect((err as InvalidTopicError).code).toBe('ERR_INVALID_TOPIC');
      expect((err as InvalidTopicError).retryable).toBe(false);
      expect((err as Error).message, what).toMatch(rule);
      expect((err as Error).message).toMatch(/invalid topic name ".+": .+; .+Topic names/);
      expect(() => b.createTopic(name), what).toThrow(InvalidTopicError);
      expect(() => b.fetch({ group: 'g', topic: name, partition: 0 }), what).toThrow(InvalidTopicError);
      // a batch with one bad record is refused whole
      await expect(
        b.publish([
          { topic: 'before', value: enc('not-me') },
          { topic: name, value: enc('x') },
        ]),
      ).rejects.toThrow(InvalidTopicError);
      expect(b.topics().map((t) => t.name)).toEqual(['before']);
      await b.publish({ topic: 'before', value: enc(`after ${what}`) });
      await b.close();
    }
    // nothing about a refused name reached the disk, and every earlier record is back
    expect(
      (JSON.parse(readFileSync(join(dir, 'topics.json'), 'utf8')) as { topics: { name: string }[] }).topics.map(
        (t) => t.name,
      ),
    ).toEqual(['before']);
    b = createMemoryBroker({ dataDir: dir });
    expect(b.topics()).toEqual([{ name: 'before', partitions: 1 }]);
    expect(drain(b, 'before')).toEqual(['b0', 'b1', ...REFUSED.map(([what]) => `after ${what}`)]);
    expect(b.committed({ group: 'g', topic: 'before', partition: 0 })?.offset).toBe(1);
    await b.close();
  });

  it('the in-memory broker refuses the same names, on publish and on subscribe', async () => {
    const b = createMemoryBroker();
    const transport = memoryTransport(b);
    for (const [what, name] of REFUSED) {
      await expect(b.publish({ topic: name, value: enc('x') }), what).rejects.toThrow(InvalidTopicError);
      const spec: SubscriptionSpec = {
        group: 'g',
        topic: name,
        handler: 'h',
        maxInFlight: 1,
        timeoutMs: 1000,
        maxAttempts: 1,
        startFrom: 'earliest',
      };
      await expect(transport.subscribe(spec, recordingSink().sink), what).rejects.toThrow(InvalidTopicError);
    }
    expect(b.topics()).toEqual([]);
    await transport.close();
    await b.close();
  });

  it('a valid 249-byte non-ASCII name (and a 249-byte ASCII one) works and reopens', async () => {
    const dir = tmp();
    const names = [`${'é'.repeat(124)}a`, `${'注'.repeat(83)}`, 'x'.repeat(249), '🎵'.repeat(62)];
    for (const n of names) expect(bytes(n)).toBeGreaterThanOrEqual(248);
    let b = createMemoryBroker({ dataDir: dir, fsync: 'always' });
    for (const n of names)
      await b.publish([
        { topic: n, value: enc(`${head(n)}-1`) },
        { topic: n, value: enc(`${head(n)}-2`) },
      ]);
    for (const n of names) b.commit({ group: 'g', topic: n, partition: 0, offset: 1 });
    await b.close();
    for (const d of readdirSync(join(dir, 'logs'))) expect(bytes(d)).toBeLessThanOrEqual(255);
    for (let round = 0; round < 2; round++) {
      b = createMemoryBroker({ dataDir: dir });
      expect(
        b
          .topics()
          .map((t) => t.name)
          .sort(),
      ).toEqual([...names].sort());
      for (const n of names) {
        expect(drain(b, n)).toEqual([`${head(n)}-1`, `${head(n)}-2`]);
        expect(b.committed({ group: 'g', topic: n, partition: 0 })?.offset).toBe(1);
      }
      await b.close();
    }
  });

  it('two names differing only in case get separate directories (safe on case-insensitive file systems) and both reopen with their own records', async () => {
    const dir = tmp();
    const names = ['Orders', 'orders', 'ORDERS', 'orders%4f', 'Ä', 'ä'];
    let b = createMemoryBroker({ dataDir: dir });
    for (const n of names) await b.publish({ topic: n, value: enc(`in ${n}`) });
    await b.close();
    const onDisk = readdirSync(join(dir, 'logs'));
    expect(onDisk).toHaveLength(names.length);
    // distinct even when compared as a case-insensitive file system would
    expect(new Set(onDisk.map((d) => d.toLowerCase())).size).toBe(names.length);
    b = createMemoryBroker({ dataDir: dir });
    for (const n of names) expect(drain(b, n)).toEqual([`in ${n}`]);
    await b.close();
  });

  it('directory names are injective, lowercase, bounded and readable', () => {
    const names = [
      'orders',
      'Orders',
      'orders.eu-1_x',
      'a%41',
      'aA',
      'x'.repeat(249),
      `${'x'.repeat(248)}y`,
      `${'é'.repeat(124)}a`,
      `${'é'.repeat(124)}b`,
      'a:b',
      'Ä',
    ];
    const encoded = names.map(topicDirName);
    expect(new Set(encoded.map((e) => e.toLowerCase())).size).toBe(names.length);
    for (const e of encoded) {
      expect(e).toBe(e.toLowerCase());
      expect(bytes(e)).toBeLessThanOrEqual(200);
      expect(e).toMatch(/^t-[a-z0-9._%~-]+$/);
    }
    expect(topicDirName('orders.eu-1_x')).toBe('t-orders.eu-1_x');
    expect(topicDirName('Orders')).toBe('t-%4frders');
    expect(topicDirName('x'.repeat(249))).toMatch(/^t-x{40,}~[0-9a-f]{32,}$/);
  });

  it('the topic directory exists before topics.json records the topic: a directory that cannot be created refuses the topic and the broker still reopens', async () => {
    const dir = tmp();
    let b = createMemoryBroker({ dataDir: dir });
    await b.publish({ topic: 'ok', value: enc('1') });
    // something in the way of the new topic's directory (a file)
    writeFileSync(join(dir, 'logs', topicDirName('blocked')), 'not a directory');
    await expect(b.publish({ topic: 'blocked', value: enc('x') })).rejects.toThrow(/blocked/);
    expect(b.topics().map((t) => t.name)).toEqual(['ok']);
    await b.close();
    b = createMemoryBroker({ dataDir: dir });
    expect(b.topics().map((t) => t.name)).toEqual(['ok']);
    expect(drain(b, 'ok')).toEqual(['1']);
    await b.close();
  });

  it('opens a state bricked by an earlier version (topics.json lists a name whose directory was never created) and data laid out by the old encoding', async () => {
    const dir = tmp();
    let b = createMemoryBroker({ dataDir: dir });
    await b.publish({ topic: 'Mixed.Case', value: enc('old') });
    await b.publish({ topic: 'plain', value: enc('p') });
    await b.close();
    // the old layout: t-<encodeURIComponent(name)>
    renameSync(
      join(dir, 'logs', topicDirName('Mixed.Case')),
      join(dir, 'logs', `t-${encodeURIComponent('Mixed.Case')}`),
    );
    const topics = JSON.parse(readFileSync(join(dir, 'topics.json'), 'utf8')) as {
      topics: { name: string; options: unknown }[];
    };
    const long = 'é'.repeat(130);
    topics.topics.push({ name: long, options: topics.topics[0]!.options });
    writeFileSync(join(dir, 'topics.json'), JSON.stringify(topics));
    b = createMemoryBroker({ dataDir: dir });
    expect(drain(b, 'Mixed.Case')).toEqual(['old']);
    expect(drain(b, 'plain')).toEqual(['p']);
    expect(drain(b, long)).toEqual([]);
    await b.publish({ topic: 'Mixed.Case', value: enc('new') });
    await b.close();
    expect(existsSync(join(dir, 'logs', `t-${encodeURIComponent('Mixed.Case')}`))).toBe(false);
    b = createMemoryBroker({ dataDir: dir });
    expect(drain(b, 'Mixed.Case')).toEqual(['old', 'new']);
    await b.close();
  });
});
