import { redact, type RedactOptions } from '../redact/redact.js';
import { isLevelEnabled, type LogMethod, type Logger } from './logger.js';

/**
 * A logger that passes every message, field and child binding through
 * `redact` before `inner` sees it (credentials in URLs, secret-named fields,
 * the known `secrets`). Lines below `inner.level` cost no redaction.
 * `createApp` wraps its logger with it; connectors wrap the logger they are
 * given with their own `secrets` (passwords, tokens).
 */
export function redactingLogger(inner: Logger, options: RedactOptions = {}): Logger {
  const at =
    (m: LogMethod) =>
    (a: object | string, b?: string): void => {
      if (!isLevelEnabled(inner, m)) return;
      if (typeof a === 'string') inner[m](redact(a, options));
      else if (b === undefined) inner[m](redact(a, options));
      else inner[m](redact(a, options), redact(b, options));
    };
  return {
    get level() {
      return inner.level;
    },
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: (bindings) => redactingLogger(inner.child(redact(bindings, options)), options),
  };
}
