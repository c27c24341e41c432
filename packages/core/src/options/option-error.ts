import { ConfigError } from '../errors/partita-error.js';
import { REDACTED, SECRET_NAME, redact } from '../redact/redact.js';

/** A value as an option error may show it: secret-named options never, strings redacted, long values cut. */
export function shownOption(option: string, value: unknown): string {
  const leaf = option.split('.').at(-1) ?? option;
  if (SECRET_NAME.test(leaf)) return REDACTED;
  let text: string;
  try {
    text =
      typeof value === 'string'
        ? JSON.stringify(redact(value))
        : typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function'
          ? String(value)
          : (JSON.stringify(redact(value)) ?? String(value));
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * The one shape of a bad-option error, shared by core and every package:
 * `ConfigError("<owner>: option "<option>" must be <expected>, got <value>")`,
 * the value shown through `shownOption` (secrets never appear).
 *
 * @example throw optionError('natsTransport', 'pullExpiresMs', 'an integer >= 1000', 500)
 */
export function optionError(owner: string, option: string, expected: string, got?: unknown): ConfigError {
  const tail = arguments.length >= 4 ? `, got ${shownOption(option, got)}` : '';
  return new ConfigError(`${owner}: option "${option}" must be ${expected}${tail}`);
}
