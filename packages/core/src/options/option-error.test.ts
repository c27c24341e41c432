import { describe, expect, it } from 'vitest';
import { ConfigError, optionError } from '../index.js';

describe('optionError', () => {
  it('names the owner, the option, the expected form and the value', () => {
    const err = optionError('natsTransport', 'pullExpiresMs', 'an integer >= 1000', 500);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe('natsTransport: option "pullExpiresMs" must be an integer >= 1000, got 500');
    expect(optionError('x', 'mode', "'a' or 'b'").message).toBe(`x: option "mode" must be 'a' or 'b'`);
    expect(optionError('x', 'n', 'a number', undefined).message).toBe('x: option "n" must be a number, got undefined');
  });
  it('never shows a secret: secret-named options are redacted whole, credentials inside strings too', () => {
    expect(optionError('natsTransport', 'pass', 'a string', 12345).message).not.toContain('12345');
    expect(optionError('kafkaTransport', 'sasl.password', 'a string', ['hunter2']).message).not.toContain('hunter2');
    expect(optionError('natsTransport', 'servers', 'URLs', ['alice:s3cret@h:4222']).message).not.toContain('s3cret');
  });
});
