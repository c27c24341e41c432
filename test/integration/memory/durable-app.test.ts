import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConsoleLogger, createApp, defineHandler, type Logger, type Message } from '@partita/core';
import { createMemoryBroker, memoryTransport } from '@partita/memory';
import { afterAll, describe, expect, it } from 'vitest';

const quiet: Logger = createConsoleLogger({ level: 'silent' });
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function waitFor(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('an app on the durable memory broker across restarts', () => {
  it('resumes from the committed offsets after the broker is reopened, and a new group replays everything', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'partita-durable-app-'));
    dirs.push(dataDir);
    const processed: number[] = [];
    const handler = defineHandler<{ n: number }>({
      name: 'ledger',
      topic: 'payments',
      handle: (m: Message<{ n: number }>) => {
        processed.push(m.value.n);
      },
    });

    let broker = createMemoryBroker({ dataDir, defaultPartitions: 3, fsync: 'always' });
    let app = createApp({ transport: memoryTransport(broker), logger: quiet, handlers: [handler] });
    await app.start();
    await app.publish(
      Array.from({ length: 300 }, (_, n) => ({ topic: 'payments', key: `acct-${n % 17}`, value: { n } })),
    );
    await waitFor(() => processed.length === 300, 'first 300');
    await app.stop();
    await broker.close();

    broker = createMemoryBroker({ dataDir });
    expect(broker.topics()).toEqual([{ name: 'payments', partitions: 3 }]);
    await broker.publish(
      Array.from({ length: 30 }, (_, n) => ({
        topic: 'payments',
        key: `acct-${n % 17}`,
        value: new TextEncoder().encode(JSON.stringify({ n: 300 + n })),
        headers: { 'content-type': 'application/json' },
      })),
    );
    app = createApp({ transport: memoryTransport(broker), logger: quiet, handlers: [handler] });
    await app.start();
    await waitFor(() => processed.length >= 330, 'the 30 new ones');
    await app.stop();
    // nothing before the committed offsets was processed again
    expect(processed.slice(300).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => 300 + i));

    const replay: number[] = [];
    const auditor = createApp({
      transport: memoryTransport(broker),
      logger: quiet,
      handlers: [
        defineHandler<{ n: number }>({
          name: 'audit',
          topic: 'payments',
          handle: (m: Message<{ n: number }>) => {
            replay.push(m.value.n);
          },
        }),
      ],
    });
    await auditor.start();
    await waitFor(() => replay.length === 330, 'replay of all 330');
    await auditor.stop();
    expect(new Set(replay).size).toBe(330);
    await broker.close();
  });
});
