// The `partita` CLI (a child process) on the embedded broker, reached through
// a running app's admin endpoint (@partita/http serve(app, { admin })).
import { afterEach, describe, it } from 'vitest';
import { serve } from '@partita/http';
import { createMemoryBroker, memoryTransport } from '@partita/memory';
import { uniqueName } from '@partita/testing';
import { createApp, type App } from '@partita/core';
import { deadLetterScenario, followScenario } from './cli-scenario.js';

const TOKEN = 'cli-memory-test-token-0123456789';
const enc = (s: string) => new TextEncoder().encode(s);

describe('partita CLI through an app admin endpoint (memory)', () => {
  const closing: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closing.splice(0)) await c().catch(() => {});
  });

  it('produce → tail → dead letter → dlq ls → redrive --dry-run → redrive: handled once by the failing group only', async () => {
    const broker = createMemoryBroker({ defaultPartitions: 2 });
    closing.push(() => broker.close());
    const transport = memoryTransport(broker);
    let url = '';
    const target = {
      transport,
      get flags() {
        return ['--url', url];
      },
      env: { PARTITA_ADMIN_TOKEN: TOKEN },
      attach: async (app: App) => {
        const server = await serve(app, { port: 0, admin: { transport, token: TOKEN } });
        url = server.url;
        return () => server.close();
      },
    };
    await deadLetterScenario(target, uniqueName('cli'), { audit: uniqueName('audit'), billing: uniqueName('billing') });
  });

  it('tail --follow --from latest prints only what is published after it started', async () => {
    const broker = createMemoryBroker({ defaultPartitions: 2 });
    closing.push(() => broker.close());
    const transport = memoryTransport(broker);
    const app = createApp({ transport, handlers: [] });
    const server = await serve(app, { port: 0, admin: { transport, token: TOKEN } });
    closing.push(() => server.close());
    const topic = uniqueName('cli-follow');
    await transport.publish([0, 1].map((partition) => ({ topic, partition, value: enc('"old"'), headers: {} })));
    await followScenario({ transport, flags: ['--url', server.url] }, topic, () =>
      transport.publish([{ topic, partition: 1, value: enc('"followed"'), headers: {} }]),
    );
  });
});
