import { createApp, createConsoleLogger, defineHandler, type App } from '@partita/core';
import { createMemoryBroker, memoryTransport } from '@partita/memory';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { serve, type ServedApp } from '../index.js';

interface Family {
  name: string;
  type: string;
  metrics: {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }[];
}
const parse = (text: string): Map<string, Family> =>
  new Map((parsePrometheusTextFormat(text) as Family[]).map((f) => [f.name, f]));
const value = (families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number => {
  const f = families.get(name);
  if (!f) throw new Error(`no metric family ${name}`);
  const m = f.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  if (!m) throw new Error(`no sample of ${name} with ${JSON.stringify(labels)}`);
  return Number(m.value);
};

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function setup(handle: (v: { id: number }) => Promise<void> | void): {
  app: App;
  broker: ReturnType<typeof createMemoryBroker>;
} {
  const broker = createMemoryBroker({ defaultPartitions: 2 });
  const app = createApp({
    transport: memoryTransport(broker),
    handlers: [
      defineHandler<{ id: number }>({
        name: 'h',
        topic: 'jobs',
        retry: { maxAttempts: 1 },
        handle: (msg) => handle(msg.value),
      }),
    ],
    logger: createConsoleLogger({ level: 'silent' }),
  });
  cleanup.push(
    () => broker.close(),
    () => app.stop({ drainTimeoutMs: 1000 }),
  );
  return { app, broker };
}

async function served(app: App): Promise<ServedApp> {
  const s = await serve(app, { port: 0 });
  cleanup.push(() => s.close());
  return s;
}

describe('serve', () => {
  it('answers /healthz always and /readyz 503 with reasons until started, 200 with lanes, 503 again once stopping', async () => {
    const { app } = setup(() => undefined);
    const s = await served(app);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    const before = await fetch(`${s.url}/readyz`);
    expect(before.status).toBe(503);
    expect(((await before.json()) as { reasons: string[] }).reasons).toEqual(['not started: the app is created']);
    await app.start();
    const ready = await until('lanes', async () => {
      const r = await fetch(`${s.url}/readyz`);
      return r.status === 200 ? ((await r.json()) as { lanes: number }) : undefined;
    });
    expect(ready.lanes).toBe(2);
    const stopped = app.stop({ drainTimeoutMs: 1000 });
    const during = await fetch(`${s.url}/readyz`);
    expect(during.status).toBe(503);
    await stopped;
    const after = await fetch(`${s.url}/readyz`);
    expect(((await after.json()) as { reasons: string[] }).reasons).toEqual(['not started: the app is stopped']);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it('readiness is false with "no lanes assigned" while the group gives this app no lane', async () => {
    const broker = createMemoryBroker({ defaultPartitions: 1 });
    const mk = (): App =>
      createApp({
        transport: memoryTransport(broker),
        handlers: [defineHandler({ name: 'one', topic: 'single', handle: () => undefined })],
        logger: createConsoleLogger({ level: 'silent' }),
      });
    const a = mk();
    const b = mk();
    cleanup.push(
      () => broker.close(),
      () => a.stop(),
      () => b.stop(),
    );
    await a.start();
    await b.start();
    const sa = await served(a);
    const sb = await served(b);
    const bodies = await until('one lane owner', async () => {
      const rs = await Promise.all([sa, sb].map(async (s) => fetch(`${s.url}/readyz`)));
      if (rs.filter((r) => r.status === 200).length !== 1) return undefined;
      return Promise.all(rs.map((r) => r.json() as Promise<{ ready: boolean; reasons: string[] }>));
    });
    expect(bodies.find((x) => !x.ready)!.reasons).toEqual(['no lanes assigned']);
  });

  it('serves Prometheus text a real parser reads; counters move as messages flow and lag shows the backlog', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { app } = setup(async (v) => {
      await gate;
      if (v.id % 10 === 0) throw new Error('bad record');
    });
    const s = await served(app);
    await app.start();
    await app.publish(Array.from({ length: 50 }, (_, i) => ({ topic: 'jobs', key: `k${i}`, value: { id: i } })));
    const text = await (await fetch(`${s.url}/metrics`)).text();
    const backlog = parse(text);
    expect(backlog.get('partita_consumer_lag')!.type).toBe('GAUGE');
    const lag = backlog.get('partita_consumer_lag')!.metrics.reduce((n, m) => n + Number(m.value), 0);
    expect(lag).toBe(50);
    expect(value(backlog, 'partita_messages_produced_total')).toBe(50);
    expect(value(backlog, 'partita_messages_failed_total')).toBe(0);

    release();
    const after = await until('all handled', async () => {
      const f = parse(await (await fetch(`${s.url}/metrics`)).text());
      return value(f, 'partita_messages_succeeded_total') + value(f, 'partita_messages_failed_total') >= 50 &&
        f.get('partita_consumer_lag')!.metrics.every((m) => m.value === '0')
        ? f
        : undefined;
    });
    expect(value(after, 'partita_messages_consumed_total')).toBe(50);
    expect(value(after, 'partita_messages_succeeded_total')).toBe(45);
    expect(value(after, 'partita_messages_failed_total')).toBe(5);
    expect(value(after, 'partita_dead_letters_total', { reason: 'max-retries' })).toBe(5);
    const hist = after.get('partita_process_duration_seconds')!;
    expect(hist.type).toBe('HISTOGRAM');
    expect(Number(hist.metrics[0]!.count)).toBe(50);
    expect(Number(hist.metrics[0]!.buckets!['+Inf'])).toBe(50);
    expect(
      after
        .get('partita_lane_state')!
        .metrics.map((m) => m.labels!.partition)
        .sort(),
    ).toEqual(['0', '1']);
  });

  it('/api/inspect returns lanes, metrics and health as JSON; unknown paths 404, other methods 405', async () => {
    const { app } = setup(() => undefined);
    const s = await served(app);
    await app.start();
    const body = (await (await fetch(`${s.url}/api/inspect`)).json()) as {
      state: string;
      lanes: unknown[];
      metrics: { consumed: number };
      health: { status: string };
    };
    expect(body.state).toBe('running');
    expect(body.metrics.consumed).toBe(0);
    expect(body.health.status).toBe('ok');
    expect((await fetch(`${s.url}/nope`)).status).toBe(404);
    expect((await fetch(`${s.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('refuses a bad port or host naming the option', async () => {
    const { app } = setup(() => undefined);
    await expect(serve(app, { port: 70000 })).rejects.toThrow(
      /serve: option "port" must be an integer from 0 to 65535/,
    );
    await expect(serve(app, { host: '' })).rejects.toThrow(/serve: option "host"/);
  });
});
