import { DLQ_HEADERS, type LaneSnapshot, type RedriveReport, type TopicInfo } from '@partita/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { LaneRegionShape, RecordJson } from '../index.js';
import { TOKEN, adminTestApp, call, until, type AdminTestApp } from './admin-app.test-support.js';

const running: AdminTestApp[] = [];
afterEach(async () => {
  for (const a of running.splice(0)) await a.close();
});
async function started(): Promise<AdminTestApp> {
  const a = await adminTestApp({ token: TOKEN });
  running.push(a);
  await until('four lanes', () => (a.app.inspect().lanes.length === 4 ? true : undefined));
  return a;
}

interface AppBody {
  state: string;
  transport: string;
  lanes: LaneSnapshot[];
  metrics: { succeeded: number };
  executor: unknown;
  health: { status: string; lanes?: unknown };
}
const records = async (a: AdminTestApp, topic: string, query = ''): Promise<RecordJson[]> => {
  const r = await call<{ records: RecordJson[] }>(
    a.server.url,
    `/api/topics/${encodeURIComponent(topic)}/records${query}`,
  );
  expect(r.status).toBe(200);
  return r.body.records;
};

describe('admin API: operations', () => {
  it('GET /api/app shows the app, its lanes and health; /api/lane-machine the regions to draw', async () => {
    const a = await started();
    const r = await call<AppBody>(a.server.url, '/api/app');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ state: 'running', transport: 'memory', executor: null, health: { status: 'ok' } });
    expect(r.body.health.lanes).toBeUndefined();
    expect(r.body.lanes.map((l) => `${l.handler}:${l.partition}`).sort()).toEqual([
      'audit:0',
      'audit:1',
      'billing:0',
      'billing:1',
    ]);
    expect(r.body.lanes[0]!.machine).toMatchObject({ life: 'running', flow: 'open' });
    const m = await call<{ regions: LaneRegionShape[] }>(a.server.url, '/api/lane-machine');
    expect(m.body.regions.map((x) => x.name)).toEqual(['life', 'flow', 'health', 'fetch', 'commit']);
    const flow = m.body.regions.find((x) => x.name === 'flow')!;
    expect(flow.states.map((s) => s.name)).toEqual(['open', 'paused']);
    expect(flow.states.find((s) => s.name === 'paused')!.on).toContainEqual({ event: 'OPERATOR_RESUME', to: 'open' });
  });

  it('pause and resume a lane through the API: that lane stops, nothing is lost, it continues in order', async () => {
    const a = await started();
    const paused = await call<{ lanes: LaneSnapshot[] }>(a.server.url, '/api/lanes/pause', {
      body: { handler: 'audit', partition: 0 },
      token: TOKEN,
    });
    expect(paused.status).toBe(200);
    expect(paused.body.lanes.map((l) => [l.handler, l.partition, l.state, l.pauseReason])).toEqual([
      ['audit', 0, 'paused', 'operator'],
    ]);
    await a.app.publish(Array.from({ length: 40 }, (_, n) => ({ topic: a.topic, partition: n % 2, value: `m${n}` })));
    await until('billing handles all and audit partition 1', () =>
      a.handled.billing.length === 40 && a.handled.audit.length === 20 ? true : undefined,
    );
    const app = await call<AppBody>(a.server.url, '/api/app');
    const lane = app.body.lanes.find((l) => l.handler === 'audit' && l.partition === 0)!;
    expect(lane).toMatchObject({ state: 'paused', pauseReason: 'operator' });
    expect(a.handled.audit.every((v) => Number(v.slice(1)) % 2 === 1)).toBe(true);
    const resumed = await call<{ lanes: LaneSnapshot[] }>(a.server.url, '/api/lanes/resume', {
      body: { handler: 'audit' },
      token: TOKEN,
    });
    expect(resumed.body.lanes).toHaveLength(2);
    await until('audit handles partition 0 too', () => (a.handled.audit.length === 40 ? true : undefined));
    const evens = a.handled.audit.filter((v) => Number(v.slice(1)) % 2 === 0);
    expect(evens).toEqual(Array.from({ length: 20 }, (_, i) => `m${i * 2}`));
  });

  it('publishes records, lists topics and lag, reads records back with text and base64', async () => {
    const a = await started();
    // A topic no group consumes: the memory broker frees records every group has committed past.
    const raw = `${a.topic}-raw`;
    const pub = await call<{ published: number }>(a.server.url, `/api/topics/${raw}/records`, {
      body: {
        records: [
          { key: 'k1', value: 'hello', headers: { origin: 'api' } },
          { key: 'k1', valueBase64: Buffer.from([0xff, 0xfe]).toString('base64') },
          { key: 'k2' },
        ],
      },
      token: TOKEN,
    });
    expect(pub).toEqual({ status: 200, body: { published: 3 } });
    const topics = await call<{ topics: TopicInfo[] }>(a.server.url, '/api/topics');
    expect(topics.body.topics).toContainEqual(expect.objectContaining({ name: a.topic, partitions: 2 }));
    expect(topics.body.topics).toContainEqual(expect.objectContaining({ name: raw, depth: 3 }));
    const recs = await records(a, raw);
    expect(recs).toHaveLength(3);
    const byKey = recs.filter((r) => r.key === 'k1');
    expect(byKey[0]).toMatchObject({
      text: 'hello',
      value: Buffer.from('hello').toString('base64'),
      headers: { origin: 'api' },
    });
    expect(byKey[0]!.id).toBe(`${byKey[0]!.partition}:${byKey[0]!.position}`);
    expect(byKey[1]!.text, 'not UTF-8: no text').toBeUndefined();
    expect(byKey[1]!.value).toBe('//4=');
    expect(recs.find((r) => r.key === 'k2')).toMatchObject({ value: null });
    expect(await records(a, raw, `?partition=${byKey[0]!.partition}&limit=1`)).toHaveLength(1);

    await a.app.publish({ topic: a.topic, value: 'counted' });
    await until('audit handled it', () => (a.handled.audit.length === 1 ? true : undefined));
    const lag = await call<{ lag: { group: string; topic: string; lag: number }[] }>(
      a.server.url,
      '/api/lag?group=audit',
    );
    expect(lag.status).toBe(200);
    expect(lag.body.lag.map((l) => l.group)).toEqual(['audit', 'audit']);
    expect(lag.body.lag.every((l) => l.topic === a.topic)).toBe(true);
  });

  it('finds dead letters by reason, redrives them with a dry run first to the failing group only, then purges', async () => {
    const a = await started();
    const dlq = `${a.topic}.dlq`;
    await a.app.publish([
      { topic: a.topic, key: 'a', value: 'ok-1' },
      { topic: a.topic, key: 'b', value: 'poison-1' },
      { topic: a.topic, key: 'c', value: 'poison-2' },
      { topic: a.topic, key: 'd', value: 'ok-2' },
    ]);
    await until('two dead letters and audit done', async () =>
      (await records(a, dlq)).length === 2 && a.handled.audit.length === 4 ? true : undefined,
    );
    const byReason = await records(a, dlq, '?reason=non-retryable');
    expect(byReason.map((r) => r.headers[DLQ_HEADERS.key]).sort()).toEqual(['b', 'c']);
    expect(await records(a, dlq, '?reason=max-retries')).toEqual([]);
    expect((await records(a, dlq, '?key=c')).map((r) => r.text)).toEqual(['"poison-2"']);
    expect(await records(a, dlq, '?errorName=NonRetryableError&group=billing')).toHaveLength(2);
    expect(await records(a, dlq, `?since=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([]);
    const one = byReason.find((r) => r.headers[DLQ_HEADERS.key] === 'b')!;

    const dry = await call<RedriveReport>(a.server.url, `/api/dead-letters/${dlq}/redrive`, {
      body: { ids: [one.id], dryRun: true },
      token: TOKEN,
    });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, matched: 1, redriven: 0, byGroup: { billing: 1 } });
    expect(dry.body.plan).toEqual([
      { id: one.id, topic: a.topic, group: 'billing', key: 'b', reason: 'non-retryable' },
    ]);
    a.poison.failing = false;
    const real = await call<RedriveReport>(a.server.url, `/api/dead-letters/${dlq}/redrive`, {
      body: { filter: { reason: 'non-retryable' }, ratePerSec: 100 },
      token: TOKEN,
    });
    expect(real.body).toMatchObject({ dryRun: false, matched: 2, redriven: 2 });
    await until('billing handles the redriven ones', () => (a.handled.billing.length === 4 ? true : undefined));
    expect(a.handled.billing.sort()).toEqual(['ok-1', 'ok-2', 'poison-1', 'poison-2']);
    const settled = await until('the copies settled for audit too', async () => {
      const app = await call<AppBody>(a.server.url, '/api/app');
      return app.body.lanes.every((l) => l.lag === 0) && app.body.metrics.succeeded >= 8 ? app : undefined;
    });
    expect(settled.body.state).toBe('running');
    expect(a.handled.audit.sort(), 'the other group does not handle the redriven copies').toEqual([
      'ok-1',
      'ok-2',
      'poison-1',
      'poison-2',
    ]);

    const purgeOne = await call<{ removed: number }>(a.server.url, `/api/topics/${dlq}/purge`, {
      body: { positions: [one.id] },
      token: TOKEN,
    });
    expect(purgeOne.body).toEqual({ removed: 1 });
    expect((await records(a, dlq)).map((r) => r.id)).not.toContain(one.id);
    const purgeAll = await call<{ removed: number }>(a.server.url, `/api/topics/${dlq}/purge`, {
      body: {},
      token: TOKEN,
    });
    expect(purgeAll.body).toEqual({ removed: 1 });
    expect(await records(a, dlq)).toEqual([]);
  });

  it('serves the dashboard at / with a strict content security policy and its scripts', async () => {
    const a = await started();
    const page = await fetch(`${a.server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const html = await page.text();
    const scripts = [...html.matchAll(/src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) expect((await fetch(`${a.server.url}${src}`)).status, src).toBe(200);
    expect((await fetch(`${a.server.url}/dashboard/../../package.json`)).status).toBe(404);
    expect((await fetch(`${a.server.url}/`, { method: 'POST' })).status).toBe(405);
  });
});
