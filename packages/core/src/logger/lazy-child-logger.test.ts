import { describe, expect, it } from 'vitest';
import type { Logger } from './logger.js';
import { LazyChildLogger } from './lazy-child-logger.js';
import { jsonLines } from '../../test-fixtures/json-lines.js';

describe('LazyChildLogger', () => {
  it('makes the child on the first line, once, and writes each call as it was made', () => {
    const { logger, lines } = jsonLines('info');
    let children = 0;
    const parent: Logger = Object.assign(Object.create(logger) as Logger, {
      child: (b: Record<string, unknown>) => {
        children++;
        return logger.child(b);
      },
    });
    const lazy = new LazyChildLogger(parent, { lane: 7 });
    expect(children).toBe(0);
    expect(lazy.level).toBe('info');
    lazy.debug('below the level, before the child exists');
    expect(children).toBe(0);
    lazy.info('plain');
    lazy.warn({ n: 1 }, 'with fields');
    lazy.debug('below the level');
    lazy.child({ m: 2 }).error('from a child');
    expect(children).toBe(1);
    expect(lines).toEqual([
      { time: expect.any(String), level: 'info', lane: 7, msg: 'plain' },
      { time: expect.any(String), level: 'warn', lane: 7, n: 1, msg: 'with fields' },
      { time: expect.any(String), level: 'error', lane: 7, m: 2, msg: 'from a child' },
    ]);
  });
});
