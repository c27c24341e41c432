import { PartitaError } from '../errors/partita-error.js';

/**
 * A message given to `publish` cannot be turned into a record: its value
 * cannot be encoded by the codec (a function, a Symbol, `undefined`, a
 * circular object, a BigInt with JSON), or a header is not a string. Nothing
 * was published. Never retryable: the same message fails the same way.
 * `field` names what is wrong (`value`, `value.items[2].fn`, `headers.x-id`).
 */
export class EncodeError extends PartitaError {
  readonly field: string;
  constructor(field: string, message: string, options: { cause?: unknown } = {}) {
    super('ERR_ENCODE', message, { ...options, retryable: false });
    this.field = field;
  }
}
