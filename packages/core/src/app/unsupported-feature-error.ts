import { PartitaError } from '../errors/partita-error.js';

/**
 * A publish asked for a feature (`delayMs`, `priority`, `ttlMs`) that the
 * transport neither has nor emulates (see its `capabilities`). Nothing was
 * published. Never retryable.
 */
export class UnsupportedFeatureError extends PartitaError {
  readonly feature: string;
  readonly transport: string;
  constructor(feature: string, transport: string, message: string) {
    super('ERR_UNSUPPORTED', message, { retryable: false });
    this.feature = feature;
    this.transport = transport;
  }
}
