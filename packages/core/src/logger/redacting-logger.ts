import type { Logger } from '../handler/handler.js';
import { redact, type RedactOptions } from '../redact/redact.js';

/**
 * A logger that passes every message and field through `redact` before
 * `inner` sees it (credentials in URLs, secret-named fields, known secrets).
 * `createApp` wraps its logger with it; connectors wrap theirs with their own
 * `secrets`.
 */
export function redactingLogger(inner: Logger, options: RedactOptions = {}): Logger {
  const at =
    (level: keyof Logger) =>
    (msg: string, fields?: Record<string, unknown>): void =>
      inner[level](redact(msg, options), fields === undefined ? undefined : redact(fields, options));
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
