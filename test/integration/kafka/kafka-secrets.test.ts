// Secrets given to the Kafka connector (SASL passwords, credentials in broker
// strings or env variables) must not appear in any error, health(), inspect()
// or log line: options, env, connection failures, auth failures, a running app.
import { ConfigError, createApp, defineHandler, logging, transportFromEnv, type App, type Logger } from '@partita/core';
import { kafkaTransport, type KafkaTransport } from '@partita/kafka';
import { recordingLogger } from '@partita/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaSkipReason, saslBrokers, saslCredentials, testTransport, unique, until } from './kafka-test-env.js';

const PASS = 'p@ss-S3cret-kafka';
const SECRETS = [PASS, 'S3cret'];
const open: { close(): Promise<void> }[] = [];
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
function expectClean(what: string, text: string, secrets: readonly string[] = SECRETS): void {
  for (const s of secrets) expect(text, `${what} leaks ${s}`).not.toContain(s);
}

describe('Kafka: secrets never reach errors, health, inspect or logs', () => {
  afterAll(async () => {
    await Promise.allSettled(apps.map((a) => a.stop({ drainTimeoutMs: 2000 })));
    await Promise.allSettled(open.map((x) => x.close()));
  });

  it('option errors: credentials in a broker string', () => {
    for (const brokers of [[`alice:${PASS}@host:9092`], [`kafka://alice:${PASS}@host:9092`]]) {
      let err: unknown;
      try {
        kafkaTransport({ brokers });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect(errorText(err)).toContain('"brokers"');
      expectClean('the option error', errorText(err));
    }
  });

  it('env errors: credentials in PARTITA_KAFKA_BROKERS, a password without a mechanism, a bad mechanism', async () => {
    const cases = [
      { PARTITA_TRANSPORT: 'kafka', PARTITA_KAFKA_BROKERS: `alice:${PASS}@host:9092` },
      { PARTITA_TRANSPORT: 'kafka', PARTITA_KAFKA_BROKERS: `ok:9092,sasl://alice:${PASS}@host:9092` },
      { PARTITA_TRANSPORT: 'kafka', PARTITA_KAFKA_BROKERS: 'h:9092', PARTITA_KAFKA_SASL_PASSWORD: PASS },
      {
        PARTITA_TRANSPORT: 'kafka',
        PARTITA_KAFKA_BROKERS: 'h:9092',
        PARTITA_KAFKA_SASL_MECHANISM: 'plain',
        PARTITA_KAFKA_SASL_PASSWORD: PASS,
      },
      {
        PARTITA_TRANSPORT: 'kafka',
        PARTITA_KAFKA_BROKERS: 'h:9092',
        PARTITA_KAFKA_SASL_MECHANISM: `alice:${PASS}@x`,
        PARTITA_KAFKA_SASL_USERNAME: 'alice',
        PARTITA_KAFKA_SASL_PASSWORD: PASS,
      },
      { PARTITA_TRANSPORT: 'kafka', PARTITA_KAFKA_BROKERS: 'h:9092', PARTITA_KAFKA_SSL: `alice:${PASS}@x` },
    ];
    for (const env of cases) {
      const err = await transportFromEnv(env).then(
        (t) => {
          open.push(t);
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(err, Object.keys(env).join(',')).toBeInstanceOf(ConfigError);
      expect(errorText(err)).toMatch(/PARTITA_KAFKA_/);
      expectClean(`the env error for ${Object.keys(env).join(',')}`, errorText(err));
    }
  });

  it('unreachable broker with a SASL password: connect, publish, health and the client logs stay clean', async () => {
    const { logger, text } = capture();
    const t = kafkaTransport({
      brokers: ['127.0.0.1:1'],
      clientId: 'partita-secrets',
      connectionTimeoutMs: 500,
      retry: { retries: 1 },
      sasl: { mechanism: 'plain', username: 'alice', password: PASS },
      logger,
    });
    open.push(t);
    const health = await t.health();
    expect(health.status).toBe('down');
    expectClean('health()', JSON.stringify(health));
    const err = await t.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expectClean('the connection error', errorText(err));
    const app = createApp({ transport: t, logger, env: {} });
    expectClean('app.health()', JSON.stringify(await app.health()));
    expectClean('app.inspect()', JSON.stringify(app.inspect()));
    expectClean('the logs', text());
  });

  it.skipIf(kafkaSkipReason !== undefined || saslBrokers.length === 0)(
    'wrong SASL password: the auth failure and the logs stay clean',
    async () => {
      const { logger, text } = capture();
      const t = testTransport({
        brokers: saslBrokers,
        sasl: { mechanism: 'scram-sha-256', username: saslCredentials.username, password: PASS },
        logger,
        retry: { retries: 1 },
      });
      open.push(t);
      const err = await t.connect().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expectClean('the auth error', errorText(err));
      expectClean('health()', JSON.stringify(await t.health()));
      expectClean('the logs', text());
    },
  );

  it.skipIf(kafkaSkipReason !== undefined || saslBrokers.length === 0)(
    'a running app over SASL: health, inspect and logs hold no password',
    async () => {
      const realPassword = saslCredentials.password;
      const secrets = [...SECRETS, realPassword];
      const { logger, text } = capture();
      const topic = unique('secrets');
      const transport: KafkaTransport = testTransport({
        brokers: saslBrokers,
        sasl: { mechanism: 'plain', ...saslCredentials },
        logger,
      });
      const app = createApp({
        transport,
        logger,
        env: {},
        middleware: [logging()],
        handlers: [
          defineHandler({
            name: unique('secrets-h'),
            topic,
            retry: { maxAttempts: 1 },
            handle: (m) => {
              if (m.value === 1)
                throw new Error(`downstream sasl://alice:${PASS}@10.0.0.9:9092 refused password=${realPassword}`);
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
        { topic, key: 'a', value: 1 },
        { topic, key: 'b', value: 2 },
      ]);
      await until(
        () => app.inspect().metrics.deadLettered === 1 && app.inspect().metrics.succeeded === 1,
        'one handled, one dead-lettered',
      );
      expectClean('app.health()', JSON.stringify(await app.health()), secrets);
      expectClean('app.inspect()', JSON.stringify(app.inspect()), secrets);
      expect(text()).toContain('event listener threw');
      expectClean('the logs', text(), secrets);
      await app.stop();
      expectClean('the logs', text(), secrets);
    },
  );
});
