import { createApp, defineHandler, logging, transportFromEnv, type Logger } from '@partita/core';
import { describe, expect, it } from 'vitest';
import { createMemoryBroker } from '../broker/create-memory-broker.js';
import { memoryTransport } from './memory-transport.js';

// The memory connector has no credentials of its own; these secrets travel
// next to it (a shared environment, handler errors) and must not leak through it.
const PASS = 'p@ss-S3cret-mem';
const TOKEN = 'tok-S3cret-mem';
const SECRETS = [PASS, TOKEN, 'S3cret'];

/** Every line at every level, as text with errors' messages and causes (what a pino err serializer writes). */
function capture(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const make = (bindings: object): Logger => {
    const at =
      (level: string) =>
      (obj: object | string, msg?: string): void =>
        void lines.push(
          JSON.stringify({ level, bindings, obj, msg }, (_k, v: unknown) =>
            v instanceof Error ? { message: v.message, cause: v.cause } : v,
          ),
        );
    return {
      level: 'trace',
      trace: at('trace'),
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      fatal: at('fatal'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return { logger: make({}), text: () => lines.join('\n') };
}
const expectClean = (what: string, text: string): void => {
  for (const s of SECRETS) expect(text, `${what} leaks ${s}`).not.toContain(s);
};
const errorText = (err: unknown): string => {
  const parts: string[] = [];
  let e: unknown = err;
  for (let i = 0; e !== undefined && e !== null && i < 5; i++) {
    const { message, cause } = e as { message?: unknown; cause?: unknown };
    parts.push(String(message ?? (e as unknown))); // whatever was thrown, as text
    e = cause;
  }
  return parts.join(' | ');
};

describe('memory: no secret reaches errors, health, inspect or logs', () => {
  it('env errors redact credentials given in a memory variable and in the shared environment', async () => {
    const env = {
      PARTITA_TRANSPORT: 'memory',
      PARTITA_NATS_PASS: PASS,
      PARTITA_NATS_TOKEN: TOKEN,
      PARTITA_MEMORY_FSYNC: `nats://alice:${PASS}@host:4222`,
    };
    const err = await transportFromEnv(env).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(errorText(err)).toContain('PARTITA_MEMORY_FSYNC');
    expectClean('the env error', errorText(err));
    const err2 = await transportFromEnv({
      PARTITA_TRANSPORT: 'memory',
      PARTITA_MEMORY_PARTITIONS: `alice:${PASS}@host:1`,
    }).catch((e: unknown) => e);
    expect(errorText(err2)).toContain('PARTITA_MEMORY_PARTITIONS');
    expectClean('the env error', errorText(err2));
  });

  it('a running app logs, reports health and inspects without the secrets its handlers and listeners carry', async () => {
    const { logger, text } = capture();
    const broker = createMemoryBroker();
    const handled: number[] = [];
    const app = createApp({
      transport: memoryTransport(broker),
      logger,
      env: { PARTITA_NATS_PASS: PASS },
      middleware: [logging()],
      handlers: [
        defineHandler({
          name: 'sec-h',
          topic: 'sec-t',
          retry: { maxAttempts: 1 },
          handle: (m) => {
            handled.push(m.value);
            if (m.value === 1) throw new Error(`upstream nats://alice:${PASS}@10.0.0.1:4222 refused token=${TOKEN}`);
          },
        }),
      ],
    });
    app.on('message.dead-lettered', () => {
      throw new Error(`listener saw alice:${PASS}@db:5432`);
    });
    await app.start();
    await app.publish([
      { topic: 'sec-t', key: 'a', value: 1 },
      { topic: 'sec-t', key: 'b', value: 2 },
    ]);
    const end = Date.now() + 30_000;
    while (app.inspect().metrics.deadLettered < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    expect(app.inspect().metrics.deadLettered).toBe(1);
    expect(text()).toContain('message failed');
    expect(text()).toContain('event listener threw');
    expectClean('the logs', text());
    expectClean('health()', JSON.stringify(await app.health()));
    expectClean('inspect()', JSON.stringify(app.inspect()));
    await app.stop();
    expectClean('the logs', text());
    await broker.close();
  });
});
