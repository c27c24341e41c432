import { request } from 'node:http';
import type { LaneSnapshot, Transport } from '@partita/core';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, serve } from '../index.js';
import { TOKEN, adminTestApp, call, until, type AdminTestApp } from './admin-app.test-support.js';

const running: AdminTestApp[] = [];
afterEach(async () => {
  for (const a of running.splice(0)) await a.close();
});
async function started(opts: Parameters<typeof adminTestApp>[0] = { token: TOKEN }): Promise<AdminTestApp> {
  const a = await adminTestApp(opts);
  running.push(a);
  await until('four lanes', () => (a.app.inspect().lanes.length === 4 ? true : undefined));
  return a;
}
const lanes = (a: AdminTestApp): readonly LaneSnapshot[] => a.app.inspect().lanes;

/** A raw request with any Host header (fetch does not let a caller set it). */
function rawGet(url: string, path: string, host: string): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('admin API: write operations are protected', () => {
  it('401 without the token, with a wrong one, or when none is configured; the request changes nothing', async () => {
    const a = await started();
    await a.app.publish({ topic: a.topic, key: 'k', value: 'poison-1' });
    const dlq = `${a.topic}.dlq`;
    await until('a dead letter', async () => {
      const r = await call<{ records: unknown[] }>(a.server.url, `/api/topics/${dlq}/records`);
      return r.status === 200 && r.body.records.length === 1 ? true : undefined;
    });
    const endsBefore = JSON.stringify(
      a.broker.stats().topics.map((t) => [t.name, t.partitions.map((p) => p.endOffset)]),
    );
    const writes: [string, unknown][] = [
      ['/api/lanes/pause', { handler: 'billing' }],
      [`/api/topics/${a.topic}/records`, { records: [{ value: 'sneaky' }] }],
      [`/api/dead-letters/${dlq}/redrive`, {}],
      [`/api/topics/${dlq}/purge`, {}],
    ];
    for (const token of [null, 'wrong-token-0123456789', `${TOKEN}x`, TOKEN.slice(0, -1), ''])
      for (const [path, body] of writes) {
        const r = await call(a.server.url, path, { body, token });
        expect(r.status, `${path} with ${String(token)}`).toBe(401);
        expect(r.body.error.name).toBe('Unauthorized');
        expect(r.body.error.message).toMatch(/"authorization" header, as Bearer <token>/);
      }
    // A scheme other than Bearer is refused too.
    const basic = await call(a.server.url, '/api/lanes/pause', {
      body: { handler: 'billing' },
      headers: { authorization: `Basic ${TOKEN}` },
    });
    expect(basic.status).toBe(401);
    expect(lanes(a).every((l) => l.pauseReason === undefined)).toBe(true);
    const endsAfter = JSON.stringify(
      a.broker.stats().topics.map((t) => [t.name, t.partitions.map((p) => p.endOffset)]),
    );
    expect(endsAfter, 'nothing published, redriven or purged').toBe(endsBefore);
    const still = await call<{ records: unknown[] }>(a.server.url, `/api/topics/${dlq}/records`);
    expect(still.body.records).toHaveLength(1);
    expect(a.handled.billing).toEqual([]);
    // The right token works.
    expect((await call(a.server.url, '/api/lanes/pause', { body: { handler: 'billing' }, token: TOKEN })).status).toBe(
      200,
    );
  });

  it('without a configured token every write is 401 saying to set PARTITA_ADMIN_TOKEN; reads work', async () => {
    const saved = process.env.PARTITA_ADMIN_TOKEN;
    delete process.env.PARTITA_ADMIN_TOKEN;
    try {
      const a = await started({});
      const r = await call(a.server.url, '/api/lanes/pause', {
        body: { handler: 'billing' },
        token: 'anything-at-all-123',
      });
      expect(r.status).toBe(401);
      expect(r.body.error.message).toMatch(/set PARTITA_ADMIN_TOKEN/);
      expect((await call(a.server.url, '/api/app')).status).toBe(200);
      expect(lanes(a).every((l) => l.state !== 'paused')).toBe(true);
    } finally {
      if (saved !== undefined) process.env.PARTITA_ADMIN_TOKEN = saved;
    }
  });

  it('takes the token from PARTITA_ADMIN_TOKEN and refuses a short one', async () => {
    const saved = process.env.PARTITA_ADMIN_TOKEN;
    process.env.PARTITA_ADMIN_TOKEN = 'from-the-environment-42';
    try {
      const a = await started({});
      const ok = await call(a.server.url, '/api/lanes/pause', {
        body: { topic: a.topic },
        token: 'from-the-environment-42',
      });
      expect(ok.status).toBe(200);
      process.env.PARTITA_ADMIN_TOKEN = 'short';
      await expect(
        serve(a.app, { port: 0, admin: { transport: { name: 'x', publish: () => Promise.resolve() } as never } }),
      ).rejects.toThrow(/PARTITA_ADMIN_TOKEN must be at least 16 characters/);
      await expect(serve(a.app, { port: 0, admin: { transport: {} as never, token: TOKEN } })).rejects.toThrow(
        /option "admin.transport"/,
      );
    } finally {
      if (saved === undefined) delete process.env.PARTITA_ADMIN_TOKEN;
      else process.env.PARTITA_ADMIN_TOKEN = saved;
    }
  });

  it('400 on bad input, naming the field; nothing changes', async () => {
    const a = await started();
    const bad: [string, unknown, RegExp][] = [
      ['/api/lanes/pause', {}, /names no lane; give at least one of handler/],
      ['/api/lanes/pause', { partition: 'zero' }, /"selector.partition" must be an integer/],
      ['/api/lanes/resume', { handler: 'billing', lane: 2 }, /selector field "lane" is unknown/],
      [`/api/topics/${a.topic}/records`, { records: [] }, /"records" must be an array of 1 to 1000/],
      [`/api/topics/${a.topic}/records`, { records: [{ value: 1 }] }, /"records\[0\]\.value" must be a string/],
      [
        `/api/topics/${a.topic}/records`,
        { records: [{ valueBase64: '***' }] },
        /"records\[0\]\.valueBase64" must be base64/,
      ],
      [
        `/api/topics/${a.topic}/records`,
        { records: [{ headers: { a: 1 } }] },
        /"records\[0\]\.headers\.a" must be a string/,
      ],
      [`/api/topics/${a.topic}/records`, { records: [{ value: 'x', valueBase64: 'eA==' }] }, /not both/],
      [`/api/dead-letters/${a.topic}.dlq/redrive`, { ratePerSec: -1 }, /"ratePerSec" must be a positive number/],
      [`/api/dead-letters/${a.topic}.dlq/redrive`, { ids: ['seven'] }, /"ids" must be an array of record ids/],
      [
        `/api/dead-letters/${a.topic}.dlq/redrive`,
        { filter: { reason: 3 } },
        /"filter.reason" must be a non-empty string/,
      ],
      [`/api/dead-letters/${a.topic}.dlq/redrive`, { filter: { since: 'yesterday' } }, /"filter.since" must be a time/],
      [`/api/dead-letters/${a.topic}.dlq/redrive`, { dryRun: 'yes' }, /"dryRun" must be true or false/],
      [`/api/topics/${a.topic}/purge`, { positions: [] }, /leave it out to purge the whole topic/],
      [`/api/topics/${a.topic}/purge`, { everything: true }, /unknown field "everything"/],
      ['/api/lanes/pause', '{"handler": ', /body is not valid JSON/],
      ['/api/lanes/pause', '[1]', /body must be a JSON object/],
    ];
    for (const [path, body, message] of bad) {
      const r = await call(a.server.url, path, { body, token: TOKEN });
      expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(r.body.error.message).toMatch(message);
    }
    const plain = await call(a.server.url, '/api/lanes/pause', {
      body: '{"handler":"billing"}',
      token: TOKEN,
      headers: { 'content-type': 'text/plain' },
    });
    expect(plain.status).toBe(400);
    expect(plain.body.error.message).toMatch(/content-type must be application\/json/);
    for (const q of ['limit=0', 'limit=5000', 'partition=-1', 'colour=red', 'since=someday', 'reason='])
      expect((await call(a.server.url, `/api/topics/${a.topic}/records?${q}`)).status, q).toBe(400);
    expect((await call(a.server.url, `/api/topics/${a.topic}/records?partition=9`)).body.error.message).toMatch(
      /partition must be an integer in \[0, 1\]/,
    );
    expect(lanes(a).every((l) => l.state !== 'paused')).toBe(true);
    expect(
      a.broker
        .stats()
        .topics.find((t) => t.name === a.topic)
        ?.partitions.every((p) => p.endOffset === 0) ?? true,
    ).toBe(true);
  });

  it('404 for an unknown route, topic or lane; 405 for the wrong method', async () => {
    const a = await started();
    const nope = await call(a.server.url, '/api/nope');
    expect(nope.status).toBe(404);
    expect(nope.body.error.name).toBe('NotFound');
    const topic = await call(a.server.url, '/api/topics/no-such-topic/records');
    expect(topic.status).toBe(404);
    expect(topic.body.error.message).toMatch(/topic "no-such-topic" does not exist/);
    expect((await call(a.server.url, '/api/topics/no-such-topic/purge', { body: {}, token: TOKEN })).status).toBe(404);
    const lane = await call(a.server.url, '/api/lanes/pause', { body: { handler: 'nobody' }, token: TOKEN });
    expect(lane.status).toBe(404);
    expect(lane.body.error).toMatchObject({ name: 'LaneNotFoundError' });
    expect(lane.body.error.message).toMatch(/no lane matches .*the app's lanes: /);
    const get = await fetch(`${a.server.url}/api/lanes/pause`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await call(a.server.url, '/api/app', { body: {}, token: TOKEN })).status).toBe(405);
  });

  it('413 for a body over 1 MiB, and nothing is published', async () => {
    const a = await started();
    const big = { records: [{ value: 'x'.repeat(MAX_BODY_BYTES) }] };
    const r = await call(a.server.url, `/api/topics/${a.topic}/records`, { body: big, token: TOKEN });
    expect(r.status).toBe(413);
    expect(r.body.error.message).toMatch(/over 1048576 bytes/);
    // Without content-length (chunked), the limit holds while reading.
    const chunked = await fetch(`${a.server.url}/api/topics/${a.topic}/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: new Blob([JSON.stringify(big)]).stream(),
      duplex: 'half',
    });
    expect(chunked.status).toBe(413);
    expect(
      a.broker
        .stats()
        .topics.find((t) => t.name === a.topic)
        ?.partitions.every((p) => p.endOffset === 0) ?? true,
    ).toBe(true);
  });

  it('501 for routes that need transport.admin on a transport without it; pause still works', async () => {
    const a = await started({
      token: TOKEN,
      transport: (t: Transport): Transport => {
        const { admin: _admin, ...rest } = t as Transport & { admin?: unknown };
        return Object.assign(Object.create(Object.getPrototypeOf(t) as object) as Transport, rest, {
          admin: undefined,
        });
      },
    });
    for (const path of ['/api/topics', '/api/lag', `/api/topics/${a.topic}/records`]) {
      const r = await call(a.server.url, path);
      expect(r.status, path).toBe(501);
      expect(r.body.error.message).toMatch(/has no admin side \(transport.admin\)/);
    }
    expect(
      (await call(a.server.url, `/api/dead-letters/${a.topic}.dlq/redrive`, { body: {}, token: TOKEN })).status,
    ).toBe(501);
    expect((await call(a.server.url, `/api/topics/${a.topic}/purge`, { body: {}, token: TOKEN })).status).toBe(501);
    expect((await call(a.server.url, '/api/lanes/pause', { body: { handler: 'audit' }, token: TOKEN })).status).toBe(
      200,
    );
  });

  it('a server bound to loopback answers admin routes only for a loopback Host (DNS rebinding)', async () => {
    const a = await started();
    expect((await rawGet(a.server.url, '/api/app', 'evil.example:80')).status).toBe(403);
    expect((await rawGet(a.server.url, '/', 'evil.example')).status).toBe(403);
    expect((await rawGet(a.server.url, '/api/app', `localhost:${a.server.port}`)).status).toBe(200);
    expect((await rawGet(a.server.url, '/healthz', 'evil.example')).status, 'probes are not admin routes').toBe(200);
  });
});
