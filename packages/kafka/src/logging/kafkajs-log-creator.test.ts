import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createConsoleLogger, type Logger } from '@partita/core';
import { kafkajsLogCreator } from './kafkajs-log-creator.js';

const { logLevel } = kafkajs;

function capture(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createConsoleLogger({
    level: 'debug',
    destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines };
}

describe('kafkajsLogCreator', () => {
  it("keeps kafkajs' level, namespace and fields, the error under err", () => {
    const { logger, lines } = capture();
    const log = kafkajsLogCreator(() => logger)(logLevel.DEBUG);
    const error = new Error('broken');
    log({
      namespace: 'Consumer',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: { message: 'Crash', timestamp: 'now', logger: 'kafkajs', groupId: 'g1', error },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', kafkajs: 'Consumer', groupId: 'g1', msg: 'kafkajs: Crash' });
    expect(lines[0]).not.toHaveProperty('timestamp');
  });

  it("logs kafkajs' warning about bounded idempotent retries at debug (partita bounds them on purpose)", () => {
    const { logger, lines } = capture();
    const log = kafkajsLogCreator(() => logger)(logLevel.DEBUG);
    const entry = (message: string) => ({
      namespace: 'Producer',
      level: logLevel.WARN,
      label: 'WARN',
      log: { message, timestamp: 'now', logger: 'kafkajs' } as never,
    });
    log(entry('Limiting retries for the idempotent producer may invalidate EoS guarantees'));
    log(entry('Something else'));
    expect(lines.map((l) => l.level)).toEqual(['debug', 'warn']);
  });
});
