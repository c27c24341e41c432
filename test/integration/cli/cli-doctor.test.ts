// `partita doctor` as a child process: a healthy broker, bad credentials, an
// unreachable broker, a config file with a mistake, and an app's admin token.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp, createConsoleLogger, defineHandler } from '@partita/core';
import { serve } from '@partita/http';
import { createMemoryBroker, memoryTransport } from '@partita/memory';
import { brokers, kafkaSkipReason, saslBrokers, saslCredentials } from '../kafka/kafka-test-env.js';
import { cli } from './cli-scenario.js';

const WRONG = 'not-the-password-4711';

describe('partita doctor', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it.skipIf(kafkaSkipReason !== undefined)(
    'finds no problem on a reachable Kafka, and lists what it checked',
    async () => {
      const r = await cli(['doctor', '--brokers', brokers.join(',')]);
      expect(r.stdout).toMatch(/✓ connect +connected to kafka/);
      expect(r.stdout).toMatch(/✓ list topics/);
      expect(r.stdout).toMatch(/✓ read lag/);
      expect(r.stdout).toContain('no problem found');
      expect(r.code).toBe(0);
    },
  );

  it.skipIf(kafkaSkipReason !== undefined || saslBrokers.length === 0)(
    'says the credentials are wrong (exit 1) without printing the password',
    async () => {
      const r = await cli(['doctor', '--json'], {
        env: {
          PARTITA_TRANSPORT: 'kafka',
          PARTITA_KAFKA_BROKERS: saslBrokers.join(','),
          PARTITA_KAFKA_SASL_MECHANISM: 'plain',
          PARTITA_KAFKA_SASL_USERNAME: saslCredentials.username,
          PARTITA_KAFKA_SASL_PASSWORD: WRONG,
        },
      });
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout) as { ok: boolean; checks: { name: string; status: string; fix?: string }[] };
      expect(report.ok).toBe(false);
      expect(report.checks.find((c) => c.status === 'fail')).toMatchObject({
        name: 'credentials',
        fix: expect.stringContaining('PARTITA_KAFKA_SASL_') as string,
      });
      expect(r.stdout + r.stderr).not.toContain(WRONG);
    },
  );

  it('says what to check when the broker does not answer', async () => {
    const r = await cli(['doctor', '--brokers', '127.0.0.1:1', '--timeout', '5']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /✗ connect .*\n +→ is the broker running and reachable\? check --brokers \/ PARTITA_KAFKA_BROKERS/,
    );
  });

  it('names the config file mistake and the fix', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'partita-doctor-'));
    dirs.push(dir);
    const file = join(dir, 'partita.config.yaml');
    await writeFile(file, 'transport: kafka\nkafka:\n  broker: 127.0.0.1:9092\n');
    const r = await cli(['doctor', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /✗ config +config file .*partita\.config\.yaml \(kafka\.broker\): unknown option; "kafka" takes brokers/,
    );
    // And every other command refuses it as a usage error.
    expect((await cli(['topics', '--config', file])).code).toBe(2);
  });

  it("checks an app's admin endpoint and its token without changing anything", async () => {
    const token = 'doctor-test-token-0123456789';
    const broker = createMemoryBroker();
    const transport = memoryTransport(broker);
    const app = createApp({
      transport,
      logger: createConsoleLogger({ level: 'silent' }),
      handlers: [defineHandler({ name: 'h', topic: 'doctor-t', handle: () => {} })],
    });
    const server = await serve(app, { port: 0, admin: { transport, token } });
    await app.start();
    try {
      const good = await cli(['doctor', '--url', server.url], { env: { PARTITA_ADMIN_TOKEN: token } });
      expect(good.stdout).toMatch(/✓ app +state running, transport memory/);
      expect(good.stdout).toMatch(/✓ health +ok/);
      expect(good.stdout).toMatch(/✓ token +accepted for writes/);
      expect(good.code).toBe(0);
      const bad = await cli(['doctor', '--url', server.url], {
        env: { PARTITA_ADMIN_TOKEN: 'wrong-token-0123456789' },
      });
      expect(bad.stdout).toMatch(/✗ token +the app refused the admin token \(401\)/);
      expect(bad.code).toBe(1);
      const none = await cli(['doctor', '--url', server.url]);
      expect(none.stdout).toMatch(/! token +no admin token/);
      expect(none.code).toBe(0);
      // The token probe changed nothing: no topic but the handler's.
      expect((await transport.admin.topics()).map((t) => t.name)).toEqual(['doctor-t']);
    } finally {
      await server.close();
      await app.stop();
      await broker.close();
    }
  });
});
