// Secrets given to the NATS connector (URL user info with or without a scheme,
// an unencoded `@` in a password, tokens, user/pass options, env variables)
// must not appear in any error, health(), inspect() or log line.
import { createApp, defineHandler, logging, transportFromEnv, type App, type Logger } from '@partita/core';
import { natsFromEnv, natsTransport } from '@partita/nats';
import { recordingLogger } from '@partita/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteStreamsFor, NATS_URL, natsAvailable, uniq, waitFor } from './nats-helpers.js';
import { freePort } from './nats-server-process.js';

const up = await natsAvailable();
const PASS = 'p@ss-S3cret-nats';
const TOKEN = 'tok-S3cret-nats';
const SECRETS = [PASS, TOKEN, 'S3cret'];
const hostPort = new URL(NATS_URL).host;
const topics: string[] = [];
const apps: App[] = [];

/** Every line at every level, as text with errors' messages and causes (what a pino err serializer writes). */
function capture(): { logger: Logger; text: () => string } {
  const logger = recordingLogger();
  const json = (v: unknown): string =>
    JSON.stringify(v, (_k, x: unknown) => (x instanceof Error ? { message: x.message, cause: x.cause } : x));
  return { logger, text: () => logger.records.map(json).join('\n') };
}
function errorText(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let i = 0; e !== undefined && e !== null && i < 6; i++) {
    const { message, cause } = e as { message?: unknown; cause?: unknown };
    parts.push(String(message ?? (e as unknown))); // whatever was thrown, as text
    e = cause;
  }
  return parts.join(' | ');
}
function expectClean(what: string, text: string): void {
  for (const s of SECRETS) expect(text, `${what} leaks ${s}`).not.toContain(s);
}

describe('NATS: secrets never reach errors, health, inspect or logs', () => {
  it('env errors: schemeless user:pass@host, an unencoded @ in the password, secret variables', async () => {
    const cases = [
      { PARTITA_TRANSPORT: 'nats', PARTITA_NATS_SERVERS: `alice:${PASS}@host:4222` },
      { PARTITA_TRANSPORT: 'nats', PARTITA_NATS_SERVERS: `nats://alice:${PASS}@host:4222,bad host` },
      { PARTITA_TRANSPORT: 'nats', PARTITA_NATS_SERVERS: `alice:${PASS}@host:4222 x` },
      { PARTITA_TRANSPORT: 'nats', PARTITA_NATS_PASS: PASS },
      { PARTITA_TRANSPORT: 'nats', PARTITA_NATS_TOKEN: TOKEN, PARTITA_NATS_USER: 'alice', PARTITA_NATS_PASS: PASS },
      { PARTITA_TRANSPORT: 'nats', PARTITA_NATS_MODE: `nats://alice:${PASS}@h` },
    ];
    for (const env of cases) {
      const err = await transportFromEnv(env).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(Object.keys(env))).toBeInstanceOf(Error);
      expect(errorText(err)).toMatch(/PARTITA_NATS_/);
      expectClean(`the env error for ${Object.keys(env).join(',')}`, errorText(err));
    }
    // A valid environment keeps the secrets in the options (they are needed), but not in what it prints.
    expect(natsFromEnv({ PARTITA_NATS_USER: 'alice', PARTITA_NATS_PASS: PASS }).pass).toBe(PASS);
  });

  it.each([
    ['schemeless user:pass@host', (port: number) => ({ servers: [`alice:${PASS}@127.0.0.1:${port}`] })],
    [
      'URL with an unencoded @ in the password',
      (port: number) => ({ servers: [`nats://alice:${PASS}@127.0.0.1:${port}`] }),
    ],
    ['schemeless token@host', (port: number) => ({ servers: [`${TOKEN}@127.0.0.1:${port}`] })],
    ['user/pass options', (port: number) => ({ servers: [`nats://127.0.0.1:${port}`], user: 'alice', pass: PASS })],
    ['token option', (port: number) => ({ servers: [`nats://127.0.0.1:${port}`], token: TOKEN })],
  ])('unreachable server with credentials (%s): start(), health() and logs stay clean', async (_what, options) => {
    const port = await freePort();
    const { logger, text } = capture();
    const transport = natsTransport({ ...options(port), connectTimeoutMs: 1000, maxReconnectAttempts: 0 });
    const health = await transport.health();
    expect(health.status).toBe('down');
    expectClean('transport.health()', JSON.stringify(health));
    const app = createApp({
      transport,
      logger,
      env: {},
      handlers: [defineHandler({ name: uniq('sec'), topic: uniq('pt.sec'), handle: () => undefined })],
    });
    const err = await app.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(errorText(err)).toMatch(/cannot connect/);
    expectClean('the connection error', errorText(err));
    expectClean('app.health()', JSON.stringify(await app.health()));
    expectClean('app.inspect()', JSON.stringify(app.inspect()));
    expectClean('the logs', text());
  });

  it.skipIf(!up)('a running app with credentials in its server URL: health, inspect and logs stay clean', async () => {
    const t = uniq('pt.sec');
    topics.push(t, `${t}.dlq`);
    const { logger, text } = capture();
    const app = createApp({
      transport: natsTransport({ servers: [`alice:${PASS}@${hostPort}`] }),
      logger,
      env: {},
      middleware: [logging()],
      handlers: [
        defineHandler({
          name: uniq('sec'),
          topic: t,
          retry: { maxAttempts: 1 },
          handle: (m) => {
            if (m.value === 1) throw new Error(`downstream nats://alice:${PASS}@10.0.0.9:4222 refused`);
          },
        }),
      ],
    });
    apps.push(app);
    app.on('message.dead-lettered', () => {
      throw new Error(`listener saw alice:${PASS}@db:5432`);
    });
    await app.start();
    await app.publish([
      { topic: t, key: 'a', value: 1 },
      { topic: t, key: 'b', value: 2 },
    ]);
    await waitFor(
      () => app.inspect().metrics.deadLettered === 1 && app.inspect().metrics.succeeded === 1,
      'one handled, one dead-lettered',
    );
    const health = await app.health();
    expect(health.status).toBe('ok');
    expect(JSON.stringify(health)).toContain('[redacted]@');
    expectClean('app.health()', JSON.stringify(health));
    expectClean('app.inspect()', JSON.stringify(app.inspect()));
    expect(text()).toContain('event listener threw');
    expectClean('the logs', text());
    await app.stop();
    expectClean('the logs', text());
  });

  afterAll(async () => {
    await Promise.allSettled(apps.map((a) => a.stop({ drainTimeoutMs: 2000 })));
    if (up) await deleteStreamsFor(topics);
  });
});
