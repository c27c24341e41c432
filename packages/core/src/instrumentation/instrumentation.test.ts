import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/partita-error.js';
import { checkInstrumentation } from './check-instrumentation.js';
import { combineAttemptHooks, type AttemptInfo, type Instrumentation } from './instrumentation.js';

const lane = { system: 'test', handler: 'h', group: 'g', topic: 't', partition: 0 };
const info: AttemptInfo = {
  ...lane,
  lane,
  offset: '1',
  id: 't/0/1',
  key: undefined,
  headers: {},
  attempt: 1,
  worker: true,
};

describe('instrumentation', () => {
  it('refuses a non-array or a hook that is not a function, naming the option', () => {
    expect(() => checkInstrumentation({})).toThrow(ConfigError);
    expect(() => checkInstrumentation([{ publish: 1 }])).toThrow(/createApp: option "instrumentation\[0\]"/);
    expect(checkInstrumentation(undefined)).toEqual([]);
  });

  it('combines attempt hooks: runs nested in list order, carries merged headers, ends every scope with the error', () => {
    const log: string[] = [];
    const make = (name: string): Instrumentation => ({
      attempt: () => ({
        run: (fn) => {
          log.push(`enter ${name}`);
          try {
            return fn();
          } finally {
            log.push(`leave ${name}`);
          }
        },
        carry: { [name]: '1' },
        end: (error) => log.push(`end ${name} ${String((error as Error | undefined)?.message)}`),
      }),
    });
    const hook = combineAttemptHooks([make('a'), {}, make('b')])!;
    const scope = hook(info)!;
    expect(scope.run!(() => 42)).toBe(42);
    expect(scope.carry).toEqual({ a: '1', b: '1' });
    scope.end(new Error('boom'));
    expect(log).toEqual(['enter a', 'enter b', 'leave b', 'leave a', 'end a boom', 'end b boom']);
    expect(combineAttemptHooks([{}])).toBeUndefined();
  });
});
