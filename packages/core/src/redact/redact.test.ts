import { describe, expect, it } from 'vitest';
import { REDACTED, redact } from '../index.js';

describe('redact', () => {
  it.each([
    ['nats://alice:s3cret@host:4222', 'nats://[redacted]@host:4222'],
    ['alice:s3cret@host:4222', '[redacted]@host:4222'],
    ['nats://alice:p@ss@host:4222', 'nats://[redacted]@host:4222'],
    ['alice:p@ss@host:4222', '[redacted]@host:4222'],
    ['nats://tok3n@host:4222', 'nats://[redacted]@host:4222'],
    [
      'cannot connect to NATS at nats://a:b1@h1:4222, c:d2@h2:4222: refused',
      'cannot connect to NATS at nats://[redacted]@h1:4222, [redacted]@h2:4222: refused',
    ],
    ['amqp://guest:pa/ss@rabbit/vhost', 'amqp://[redacted]@rabbit/vhost'],
    ['"servers":["x:y@h"]', '"servers":["[redacted]@h"]'],
    ['password=hunter2 user=bob', `password=${REDACTED} user=bob`],
    ['{"sasl.password":"hunter2"}', `{"sasl.password":"${REDACTED}"}`],
    ['token: abc.def', `token: ${REDACTED}`],
  ])('%s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it('keeps text without credentials as it is', () => {
    for (const s of ['mail bob@example.com', 'nats://host:4222', 'host:4222', 'topic orders.dlq at 12:00'])
      expect(redact(s)).toBe(s);
  });

  it('replaces known secrets anywhere, longest first, ignoring ones too short to be safe', () => {
    expect(redact('auth failed for hunter2 and hunter22', { secrets: ['hunter2', 'hunter22', 'ab', undefined] })).toBe(
      `auth failed for ${REDACTED} and ${REDACTED}`,
    );
  });

  it('copies objects, arrays and errors with secret-named keys and credentials redacted, leaving the input alone', () => {
    const cause = new Error('dial nats://u:pw1@h failed');
    const err = Object.assign(new Error('connect: alice:s3cret@h:1', { cause }), { code: 'ECONN' });
    const input = {
      servers: ['nats://u:pw1@h'],
      pass: 'pw1',
      sasl: { mechanism: 'plain', password: 'x' },
      token: 'tk',
      n: 3,
      err,
      nested: { authorization: 'Bearer z' },
    };
    const out = redact(input);
    expect(out).toEqual({
      servers: ['nats://[redacted]@h'],
      pass: REDACTED,
      sasl: REDACTED,
      token: REDACTED,
      n: 3,
      err: expect.any(Error),
      nested: { authorization: REDACTED },
    });
    expect(out.err.message).toBe('connect: [redacted]@h:1');
    expect(out.err.stack).toContain('connect: [redacted]@h:1');
    expect(out.err.stack).not.toContain('s3cret');
    expect((out.err.cause as Error).message).toBe('dial nats://[redacted]@h failed');
    expect((out.err as Error & { code?: string }).code).toBe('ECONN');
    expect(input.pass).toBe('pw1');
    expect(JSON.stringify(out)).not.toMatch(/s3cret|pw1|"x"|tk|Bearer/);
  });

  it('survives cycles and leaves non-strings alone', () => {
    const o: Record<string, unknown> = { a: 'u:p@h' };
    o.self = o;
    const out = redact(o);
    expect(out.a).toBe('[redacted]@h');
    expect(out.self).toBe(out);
    expect(redact(5)).toBe(5);
    expect(redact(null)).toBe(null);
  });
});
