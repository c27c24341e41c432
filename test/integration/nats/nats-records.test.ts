import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import {
  ConfigError,
  createApp,
  defineHandler,
  MessageTooLargeError,
  type App,
  type Message,
  type Transport,
  createConsoleLogger,
} from '@partita/core';
import { natsTransport } from '@partita/nats';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteStreamsFor, enc, NATS_URL, natsAvailable, recordingSink, uniq, waitFor } from './nats-helpers.js';

// Issues 11.12 / 11.10 / 12 on NATS: tombstones round-trip as `value: null`, a
// payload over the server's limit is a MessageTooLargeError, and topic or group
// names that NATS would map to one stream or consumer are refused.

const up = await natsAvailable();
const topics: string[] = [];
const apps: App[] = [];
const transports: Transport[] = [];
const quiet = createConsoleLogger({ level: 'silent' });

function transport(): Transport {
  const t = natsTransport({ servers: [NATS_URL] });
  transports.push(t);
  return t;
}

describe.skipIf(!up)('NATS records and names', () => {
  afterAll(async () => {
    await Promise.allSettled(apps.map((a) => a.stop({ drainTimeoutMs: 1000 })));
    await Promise.allSettled(transports.map((t) => t.close()));
    await deleteStreamsFor(topics);
  });

  it('publishes a tombstone (value: null) and delivers it as value: null with its key', async () => {
    const t = uniq('pt.tomb');
    topics.push(t);
    const seen: Message<unknown>[] = [];
    const app = createApp({
      transport: transport(),
      logger: quiet,
      handlers: [
        defineHandler({
          name: 'tomb',
          topic: t,
          ordering: 'key',
          handle(m) {
            seen.push(m);
          },
        }),
      ],
    });
    apps.push(app);
    await app.start();
    await app.publish({ topic: t, key: 'user-1', value: { name: 'a' } });
    await app.publish({ topic: t, key: 'user-1', value: null });
    await app.publish({ topic: t, key: 'user-1', value: '' });
    await waitFor(() => seen.length === 3, 'three messages');
    expect(seen.map((m) => m.value)).toEqual([{ name: 'a' }, null, '']);
    expect(seen[1]!.key).toBe('user-1');
    expect(seen[1]!.headers).toEqual({}); // the tombstone mark is the connector's, not the message's
  });

  it('delivers an empty payload as an empty value and a tombstone as null (connector level)', async () => {
    const t = uniq('pt.tomb-raw');
    topics.push(t);
    const tr = transport();
    await tr.publish([
      { topic: t, key: 'k', value: new Uint8Array(0), headers: {} },
      { topic: t, key: 'k', value: null, headers: { h: '1' } },
    ]);
    const sink = recordingSink((lane, rs) => void lane.settle(rs, 'ack'));
    const sub = await tr.subscribe(
      { group: 'g', topic: t, handler: 'h', maxInFlight: 4, timeoutMs: 1000, maxAttempts: 3, startFrom: 'earliest' },
      sink,
    );
    await waitFor(() => sink.records.length === 2, 'two records');
    expect(sink.records[0]!.value).not.toBeNull();
    expect(sink.records[0]!.value!.byteLength).toBe(0);
    expect(sink.records[1]!.value).toBeNull();
    expect(sink.records[1]!.headers).toEqual({ h: '1' });
    await sub.close();
  });

  it('rejects a payload over the server max_payload with MessageTooLargeError (and keeps working)', async () => {
    const t = uniq('pt.big');
    topics.push(t);
    const tr = transport();
    await tr.publish([{ topic: t, value: enc('small'), headers: {} }]);
    const err = await tr.publish([{ topic: t, value: new Uint8Array(2 * 1024 * 1024), headers: {} }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MessageTooLargeError);
    expect((err as MessageTooLargeError).maxBytes).toBeGreaterThan(0);
    expect((err as MessageTooLargeError).maxBytes).toBeLessThan(2 * 1024 * 1024);
    await tr.publish([{ topic: t, value: enc('after'), headers: {} }]);
  });

  it('refuses a topic whose stream name is taken by another topic ("a.b" and "a_b") with a ConfigError', async () => {
    const base = uniq('pt.names');
    const dotted = `${base}.a.b`;
    const underscored = `${base}.a_b`;
    topics.push(dotted, underscored);
    const tr = transport();
    await tr.publish([{ topic: dotted, value: enc('1'), headers: {} }]);
    const err = await tr.publish([{ topic: underscored, value: enc('2'), headers: {} }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(underscored);
    await expect(
      tr.subscribe(
        {
          group: 'g',
          topic: underscored,
          handler: 'h',
          maxInFlight: 4,
          timeoutMs: 1000,
          maxAttempts: 3,
          startFrom: 'earliest',
        },
        recordingSink(),
      ),
    ).rejects.toBeInstanceOf(ConfigError);
  });

  it('refuses a group whose consumer name is taken by another group ("g.x" and "g_x") with a ConfigError', async () => {
    const t = uniq('pt.groups');
    topics.push(t);
    const tr = transport();
    await tr.publish([{ topic: t, value: enc('1'), headers: {} }]);
    const spec = {
      topic: t,
      handler: 'h',
      maxInFlight: 4,
      timeoutMs: 1000,
      maxAttempts: 3,
      startFrom: 'earliest' as const,
    };
    const first = await tr.subscribe({ ...spec, group: 'g.x' }, recordingSink());
    await expect(tr.subscribe({ ...spec, group: 'g_x' }, recordingSink())).rejects.toBeInstanceOf(ConfigError);
    // The same group binds again (a second member).
    const again = await tr.subscribe({ ...spec, group: 'g.x' }, recordingSink());
    await Promise.all([first.close(), again.close()]);
  });

  it('claims a consumer made before groups were recorded (upgrade) and updates it to unlimited max_deliver', async () => {
    const t = uniq('pt.legacy');
    topics.push(t);
    const tr = transport();
    await tr.publish([{ topic: t, value: enc('1'), headers: {} }]);
    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await jetstreamManager(nc);
      const stream = await jsm.streams.find(t);
      await jsm.consumers.add(stream, {
        durable_name: 'old',
        ack_policy: AckPolicy.Explicit,
        filter_subject: t,
        max_deliver: 8,
        description: 'partita handler old',
      });
      const spec = {
        topic: t,
        handler: 'old',
        maxInFlight: 4,
        timeoutMs: 1000,
        maxAttempts: 3,
        startFrom: 'earliest' as const,
      };
      const sub = await tr.subscribe({ ...spec, group: 'old' }, recordingSink());
      const info = await jsm.consumers.info(stream, 'old');
      expect(info.config.description).toBe('partita group "old" handler old');
      expect(info.config.max_deliver).toBe(-1);
      await sub.close();
    } finally {
      await nc.close();
    }
  });
});
