// /metrics on a real Kafka: partita_consumer_lag is the broker's lag (high
// watermark − committed offset), so it shows a real backlog and returns to 0.
import { createConsoleLogger, createApp, defineHandler, type App, type Logger } from '@partita/core';
import { serve, type ServedApp } from '@partita/http';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { kafkaSkipReason, testTransport, unique, until } from '../kafka/kafka-test-env.js';

const quiet: Logger = createConsoleLogger({ level: 'silent' });
interface Family {
  name: string;
  metrics: { value?: string; labels?: Record<string, string> }[];
}

describe.skipIf(kafkaSkipReason !== undefined)('/metrics on Kafka', () => {
  const apps: App[] = [];
  const servers: ServedApp[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
    for (const a of apps.splice(0)) await a.stop({ drainTimeoutMs: 5_000 }).catch(() => {});
  });

  it('consumer lag per group/topic/partition reflects a real backlog, then drops to 0; counters move', async () => {
    const topic = unique('lag');
    const group = unique('lag-group');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let handled = 0;
    const app = createApp({
      transport: testTransport({ partitions: 2 }),
      logger: quiet,
      handlers: [
        defineHandler<{ n: number }>({
          name: group,
          topic,
          async handle(msg) {
            if (msg.value.n > 0) await gate;
            handled++;
          },
        }),
      ],
    });
    apps.push(app);
    const server = await serve(app, { port: 0 });
    servers.push(server);
    await app.start();
    const scrape = async (): Promise<Map<string, Family>> => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      return new Map((parsePrometheusTextFormat(text) as Family[]).map((f) => [f.name, f]));
    };
    const lagOf = (f: Map<string, Family>): { partitions: number; total: number } => {
      const rows = (f.get('partita_consumer_lag')?.metrics ?? []).filter(
        (m) => m.labels?.topic === topic && m.labels?.group === group,
      );
      return { partitions: rows.length, total: rows.reduce((n, m) => n + Number(m.value), 0) };
    };

    // One record per partition first, so each lane has a committed offset to measure from.
    await app.publish([0, 1].map((partition) => ({ topic, partition, value: { n: 0 } })));
    await until(async () => lagOf(await scrape()).partitions === 2 && lagOf(await scrape()).total === 0, 'committed');

    await app.publish(Array.from({ length: 30 }, (_, i) => ({ topic, key: `k${i}`, value: { n: i + 1 } })));
    const backlog = await until(async () => {
      const f = await scrape();
      return lagOf(f).total === 30 ? f : undefined;
    }, 'lag of 30');
    expect(Number(backlog.get('partita_messages_produced_total')!.metrics[0]!.value)).toBe(32);

    release();
    const drained = await until(async () => {
      const f = await scrape();
      return handled === 32 && lagOf(f).total === 0 ? f : undefined;
    }, 'lag back to 0');
    expect(Number(drained.get('partita_messages_succeeded_total')!.metrics[0]!.value)).toBe(32);
    expect(Number(drained.get('partita_messages_consumed_total')!.metrics[0]!.value)).toBe(32);
  });
});
