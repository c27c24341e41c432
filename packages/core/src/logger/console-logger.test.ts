import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  createApp,
  createConsoleLogger,
  defaultLogger,
  isLevelEnabled,
  keyHash,
  messageLogFields,
  redactingLogger,
  traceIdOf,
  type Logger,
} from '../index.js';
import { jsonLines } from '../../test-fixtures/json-lines.js';
import { createLaneTransport } from '../../test-fixtures/lane-transport.js';

describe('createConsoleLogger (the default logger)', () => {
  it('writes one JSON line per call in pino shape: (obj, msg), (msg), and an Error under err', () => {
    const { logger, lines } = jsonLines('info');
    logger.info({ topic: 'orders', n: 3 }, 'fetched');
    logger.warn('plain message');
    logger.error(new Error('boom'));
    logger.error({ err: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) }, 'connect failed');
    expect(lines).toEqual([
      { time: expect.any(String), level: 'info', topic: 'orders', n: 3, msg: 'fetched' },
      { time: expect.any(String), level: 'warn', msg: 'plain message' },
      { time: expect.any(String), level: 'error', err: { name: 'Error', message: 'boom' }, msg: 'boom' },
      {
        time: expect.any(String),
        level: 'error',
        err: { name: 'Error', message: 'refused', code: 'ECONNREFUSED' },
        msg: 'connect failed',
      },
    ]);
    expect(Number.isNaN(Date.parse(lines[0]!.time as string))).toBe(false);
  });

  it('filters below its level, which can be changed; silent writes nothing', () => {
    const { logger, lines } = jsonLines('warn');
    logger.trace('t');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    logger.fatal('f');
    expect(lines.map((l) => l.level)).toEqual(['warn', 'error', 'fatal']);
    logger.level = 'trace';
    logger.trace('t2');
    expect(lines.at(-1)).toMatchObject({ level: 'trace', msg: 't2' });
    logger.level = 'silent';
    logger.fatal('nothing');
    expect(lines).toHaveLength(4);
    expect(() => (logger.level = 'loud' as never)).toThrow(ConfigError);
    expect(() => createConsoleLogger({ level: 'loud' as never })).toThrow(/option "level" must be one of trace/);
  });

  it('children carry their bindings (and the name) and keep the level they were made with', () => {
    const lines: string[] = [];
    const root = createConsoleLogger({ name: 'app', destination: { write: (l: string) => lines.push(l) } });
    const lane = root.child({ topic: 't', partition: 2 });
    const msg = lane.child({ offset: '7' });
    msg.info({ extra: true }, 'handled');
    root.level = 'error';
    lane.info('still info');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      {
        time: expect.any(String),
        level: 'info',
        name: 'app',
        topic: 't',
        partition: 2,
        offset: '7',
        extra: true,
        msg: 'handled',
      },
      { time: expect.any(String), level: 'info', name: 'app', topic: 't', partition: 2, msg: 'still info' },
    ]);
  });

  it('never throws: a cycle or a BigInt in the fields, or a failing destination, still logs or is dropped', () => {
    const { logger, lines } = jsonLines();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    logger.info({ big: 10n }, 'bigint');
    logger.info(cyclic, 'cycle');
    expect(lines[0]).toMatchObject({ big: '10', msg: 'bigint' });
    expect(lines[1]).toMatchObject({ msg: 'cycle', logError: expect.stringContaining('not serializable') });
    const broken = createConsoleLogger({
      destination: {
        write: () => {
          throw new Error('EPIPE');
        },
      },
    });
    expect(() => broken.error('lost')).not.toThrow();
  });

  it('defaultLogger takes its level from PARTITA_LOG_LEVEL (info when unset) and rejects a bad one', () => {
    expect(defaultLogger({}).level).toBe('info');
    expect(defaultLogger({ PARTITA_LOG_LEVEL: 'debug' }).level).toBe('debug');
    expect(defaultLogger({ PARTITA_LOG_LEVEL: 'silent' }).level).toBe('silent');
    expect(() => defaultLogger({ PARTITA_LOG_LEVEL: 'verbose' })).toThrow(/PARTITA_LOG_LEVEL="verbose" is invalid/);
  });
});

describe('isLevelEnabled', () => {
  it('compares with the logger level; an unknown (custom) level counts as enabled', () => {
    expect(isLevelEnabled({ level: 'warn' }, 'info')).toBe(false);
    expect(isLevelEnabled({ level: 'warn' }, 'error')).toBe(true);
    expect(isLevelEnabled({ level: 'silent' }, 'fatal')).toBe(false);
    expect(isLevelEnabled({ level: 'audit' }, 'trace')).toBe(true);
    expect(isLevelEnabled({ level: 'toString' }, 'trace')).toBe(true);
  });
});

describe('redactingLogger', () => {
  it('redacts messages, fields and child bindings, and skips lines below the level', () => {
    const { logger, lines } = jsonLines('info');
    const log = redactingLogger(logger, { secrets: ['hunter22'] });
    log.child({ url: 'nats://bob:pw1@host:4222' }).warn({ password: 'x1', note: 'hunter22 here' }, 'auth hunter22');
    log.debug(
      {
        get boom(): string {
          throw new Error('a disabled level must not even read its fields');
        },
      },
      'skipped',
    );
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toMatch(/pw1|x1|hunter22/);
    expect(lines[0]).toMatchObject({
      url: 'nats://[redacted]@host:4222',
      password: '[redacted]',
      msg: 'auth [redacted]',
    });
    expect(log.level).toBe('info');
  });
});

describe('message log fields', () => {
  it('hash the key (never the key), take the trace id of traceparent, and leave out what is absent', () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(
      messageLogFields({ offset: '5', attempt: 2, key: 'alice@example.com', headers: { traceparent: tp } }),
    ).toEqual({
      offset: '5',
      attempt: 2,
      keyHash: keyHash('alice@example.com'),
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
    expect(keyHash('alice@example.com')).toMatch(/^[0-9a-f]{16}$/);
    expect(keyHash('alice@example.com')).not.toBe(keyHash('bob@example.com'));
    expect(messageLogFields({ offset: '1', attempt: 1, key: undefined, headers: {} })).toEqual({
      offset: '1',
      attempt: 1,
    });
    expect(traceIdOf({ traceparent: 'garbage' })).toBeUndefined();
  });
});

describe('createApp({ logger })', () => {
  it('refuses a logger that is not in pino shape (a (msg, fields) logger of older partita), naming the option', () => {
    const old = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;
    expect(() => createApp({ transport: createLaneTransport(), logger: old, env: {} })).toThrow(
      /createApp: option "logger" must be a Logger in pino's shape/,
    );
  });
});
