import { describe, expect, it } from 'vitest';
import type { Clock } from '@partita/core';
import { GenerationGuard, kafkaErrorType } from './generation-guard.js';

/** A clock whose time jumps without firing timers: what a SIGSTOPped process sees after SIGCONT. */
function stallingClock(): Clock & { set(ms: number): void } {
  let now = 0;
  return {
    now: () => now,
    setTimeout: () => 0,
    clearTimeout: () => {},
    queueTurn: (fn) => setImmediate(fn),
    set: (ms) => {
      now = ms;
    },
  };
}

describe('GenerationGuard', () => {
  it('confirms the generation on join and detects a stall past the session timeout', () => {
    const clock = stallingClock();
    const stalls: number[] = [];
    const guard = new GenerationGuard(clock, 6000, 500, (ms) => stalls.push(ms));
    expect(guard.confirmed).toBe(false);
    expect(guard.joined()).toBe(false);
    expect(guard.confirmed).toBe(true);
    clock.set(5000);
    expect(guard.sample()).toBe(false);
    expect(guard.confirmed).toBe(true);
    clock.set(12_000);
    expect(guard.sample()).toBe(true);
    expect(stalls).toEqual([7000]);
    expect(guard.confirmed).toBe(false);
    // the next join reports the lost session once, then confirms
    expect(guard.joined()).toBe(true);
    expect(guard.confirmed).toBe(true);
    expect(guard.joined()).toBe(false);
  });

  it('a refused commit unconfirms; only membership/generation errors mean the session is lost', () => {
    const guard = new GenerationGuard(stallingClock(), 6000, 500, () => {});
    guard.joined();
    guard.refused('REBALANCE_IN_PROGRESS');
    expect(guard.confirmed).toBe(false);
    expect(guard.joined()).toBe(false);
    guard.refused('UNKNOWN_MEMBER_ID');
    expect(guard.confirmed).toBe(false);
    expect(guard.joined()).toBe(true);
  });

  it('reads the Kafka error code through kafkajs wrappers', () => {
    const protocol = Object.assign(new Error('x'), { type: 'ILLEGAL_GENERATION' });
    const wrapped = Object.assign(new Error('y'), { name: 'KafkaJSNonRetriableError', cause: protocol });
    expect(kafkaErrorType(wrapped)).toBe('ILLEGAL_GENERATION');
    expect(kafkaErrorType({ originalError: { type: 'REBALANCE_IN_PROGRESS' } })).toBe('REBALANCE_IN_PROGRESS');
    expect(kafkaErrorType(new Error('plain'))).toBeUndefined();
  });
});
