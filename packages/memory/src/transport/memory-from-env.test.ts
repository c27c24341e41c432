import { createConsoleLogger, ConfigError, createApp, defineHandler, transportFromEnv } from '@partita/core';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('transportFromEnv with PARTITA_TRANSPORT=memory', () => {
  it('loads @partita/memory and runs an app on it', async () => {
    const transport = await transportFromEnv({ PARTITA_TRANSPORT: 'memory', PARTITA_MEMORY_PARTITIONS: '2' });
    const seen: unknown[] = [];
    const app = createApp({
      transport,
      logger: createConsoleLogger({ level: 'silent' }),
      handlers: [defineHandler({ name: 'env-h', topic: 'env-t', handle: (m) => void seen.push(m.value) })],
    });
    await app.start();
    await app.publish({ topic: 'env-t', key: 'k', value: 42 });
    const end = Date.now() + 10_000;
    while (seen.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(seen).toEqual([42]);
    await app.stop();
  });
  it('rejects a bad variable with a ConfigError naming it', async () => {
    await expect(transportFromEnv({ PARTITA_TRANSPORT: 'memory', PARTITA_MEMORY_FSYNC: 'sometimes' })).rejects.toThrow(
      ConfigError,
    );
    await expect(transportFromEnv({ PARTITA_TRANSPORT: 'memory', PARTITA_MEMORY_FSYNC: 'sometimes' })).rejects.toThrow(
      /PARTITA_MEMORY_FSYNC="sometimes" is invalid: expected one of always, interval, never/,
    );
  });
  it('PARTITA_MEMORY_DATA_DIR and PARTITA_MEMORY_FSYNC give a durable broker, even after a plain one was shared', async () => {
    await transportFromEnv({ PARTITA_TRANSPORT: 'memory' });
    const dir = mkdtempSync(join(tmpdir(), 'partita-env-'));
    try {
      const transport = await transportFromEnv({
        PARTITA_TRANSPORT: 'memory',
        PARTITA_MEMORY_DATA_DIR: dir,
        PARTITA_MEMORY_FSYNC: 'always',
      });
      const app = createApp({ transport, logger: createConsoleLogger({ level: 'silent' }), env: {} });
      await app.start();
      await app.publish({ topic: 'env-durable', key: 'k', value: 1 });
      await app.stop();
      expect(readdirSync(dir).length).toBeGreaterThan(0);
    } finally {
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    }
  });
});
