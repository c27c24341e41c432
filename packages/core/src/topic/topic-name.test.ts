import { describe, expect, it } from 'vitest';
import { InvalidTopicError, isRetryable, PartitaError, TOPIC_NAME_MAX_BYTES, validateTopicName } from '@partita/core';

const refusal = (name: unknown, rules?: Parameters<typeof validateTopicName>[1]): InvalidTopicError => {
  try {
    validateTopicName(name, rules);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidTopicError);
    return err as InvalidTopicError;
  }
  throw new Error(`${JSON.stringify(name)} was accepted`);
};

describe('validateTopicName', () => {
  it('accepts ordinary names, up to 249 bytes in UTF-8 (non-ASCII counted in bytes)', () => {
    for (const ok of [
      'orders',
      'Orders.EU',
      'a-b_c.d',
      'orders.dlq',
      'x:y',
      'commandes-été',
      '注文',
      'a'.repeat(249),
      `${'é'.repeat(124)}a`,
      '🎵'.repeat(62),
    ]) {
      expect(() => validateTopicName(ok)).not.toThrow();
    }
    expect(TOPIC_NAME_MAX_BYTES).toBe(249);
  });

  it('refuses each broken shared rule with a non-retryable InvalidTopicError naming the topic, the rule and the fix', () => {
    const cases: [unknown, RegExp][] = [
      ['', /must not be empty/],
      [42, /must be a string/],
      [undefined, /must be a string/],
      ['.', /"\." and "\.\." are not topic names/],
      ['..', /"\." and "\.\." are not topic names/],
      ['a'.repeat(250), /250 bytes in UTF-8, more than the 249 allowed/],
      ['é'.repeat(125), /250 bytes in UTF-8, more than the 249 allowed/],
      ['🎵'.repeat(63), /252 bytes in UTF-8/],
      ['a b', /whitespace \(found " " at index 1\)/],
      ['a\u00a0b', /whitespace/],
      ['tab\there', /control characters|whitespace/],
      ['nul\u0000x', /control characters \(found "\\u0000" at index 3\)/],
      ['del\u007f', /control characters/],
      ['bad\ud800', /lone surrogate/],
      ['a*b', /\* > \/ \\ \(found "\*"/],
      ['a>b', /found ">"/],
      ['a/b', /found "\/"/],
      ['a\\b', /found "\\\\"/],
    ];
    for (const [name, rule] of cases) {
      const err = refusal(name);
      expect(err).toBeInstanceOf(PartitaError);
      expect(err.code).toBe('ERR_INVALID_TOPIC');
      expect(err.retryable).toBe(false);
      expect(isRetryable(err)).toBe(false);
      expect(err.topic).toBe(name);
      expect(err.message).toMatch(rule);
      expect(err.message).toMatch(/^invalid topic name /);
      expect(err.message).toMatch(/; .+ \(see docs\/configuration\.md "Topic names"\)$/);
      if (typeof name === 'string' && name.length > 0 && name.length < 20)
        expect(err.message).toContain(JSON.stringify(name));
    }
  });

  it('shortens a very long name in the message but keeps it on the error', () => {
    const name = `${'x'.repeat(500)}-tail`;
    const err = refusal(name);
    expect(err.message.length).toBeLessThan(400);
    expect(err.message).toContain('x'.repeat(60));
    expect(err.message).toContain('-tail');
    expect(err.topic).toBe(name);
  });

  it("applies a broker's extra rules after the shared ones, naming the broker", () => {
    const kafka = {
      broker: 'Kafka',
      allowed: { pattern: /[a-zA-Z0-9._-]/, description: 'ASCII letters, digits, ".", "_" and "-"' },
    };
    expect(() => validateTopicName('orders.eu-1_x', kafka)).not.toThrow();
    expect(refusal('commandes-été', kafka).message).toMatch(/Kafka: it may only contain ASCII letters.*\(found "é"\)/);
    expect(refusal('x'.repeat(20), { broker: 'Tiny', maxBytes: 10 }).message).toMatch(
      /Tiny: it is 20 bytes in UTF-8, more than the 10 allowed/,
    );
    // a broker cannot widen the shared limit
    expect(refusal('x'.repeat(300), { maxBytes: 1000 }).message).toMatch(/more than the 249 allowed/);
    const nats = {
      broker: 'NATS',
      check: (n: string) => (n.split('.').some((t) => t === '') ? 'subject tokens must not be empty' : undefined),
    };
    expect(refusal('a..b', nats).message).toMatch(/NATS: subject tokens must not be empty/);
    expect(() => validateTopicName('a.b', nats)).not.toThrow();
  });
});
