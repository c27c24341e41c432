/** What stands in for a secret in every output. */
export const REDACTED = '[redacted]';

/** Option and variable names whose values are secrets (`password`, `PARTITA_NATS_PASS`, `sasl.password`, `token`, ...). */
export const SECRET_NAME =
  /pass(word)?|token|secret|creds|credentials|api[-_]?key|private[-_]?key|authorization|^auth$|^sasl$/i;

export interface RedactOptions {
  /**
   * Known secret values (passwords, tokens) to replace wherever they occur.
   * Values shorter than 3 characters are ignored (they would blank ordinary text).
   */
  readonly secrets?: readonly (string | undefined)[];
}

// A credential-bearing "word": no whitespace, quotes or list separators.
const WORD = `[^\\s"'\`,<>]`;
// `scheme://userinfo@host`: everything between `//` and the LAST `@` before the host is userinfo,
// so an unencoded `@` in a password is covered too.
const URL_USERINFO = new RegExp(`(//)${WORD}*@(?=[^\\s"'\`,<>@/]+)`, 'g');
// Schemeless `user:pass@host[:port]` (a colon before the last `@`); plain `bob@example.com` stays.
const BARE_USERINFO = new RegExp(
  `(^|[\\s"'\`,<>(=\\[])(?![a-z][a-z0-9+.-]*://)(${WORD}*:${WORD}*)@(?=[^\\s"'\`,<>@/:]+)`,
  'gi',
);
// `password=…`, `token: …`, `"sasl.password":"…"` inside free text.
const NAMED_VALUE =
  /((?:pass(?:word)?|token|secret|creds|api[-_]?key|authorization)["']?\s*[=:]\s*["']?)[^\s"',;&}]+/gi;

function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  if (out.includes('@')) {
    out = out.replace(URL_USERINFO, `$1${REDACTED}@`);
    out = out.replace(BARE_USERINFO, (m, lead: string, info: string) =>
      info.startsWith(REDACTED) ? m : `${lead}${REDACTED}@`,
    );
  }
  return out.replace(NAMED_VALUE, `$1${REDACTED}`);
}

function redactAny(value: unknown, secrets: readonly string[], seen: WeakMap<object, unknown>): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value);
  if (value instanceof Error) {
    // Same prototype, so the copy is still a `NonRetryableError` (pino logs the class as `err.type`).
    const copy = Object.create(Object.getPrototypeOf(value) as object) as Error;
    Object.defineProperty(copy, 'message', {
      value: redactText(value.message, secrets),
      writable: true,
      configurable: true,
    });
    if (Object.hasOwn(value, 'name') || copy.name !== value.name) copy.name = value.name;
    if (value.stack !== undefined) copy.stack = redactText(value.stack, secrets);
    seen.set(value, copy);
    if ('code' in value) (copy as Error & { code?: unknown }).code = (value as { code?: unknown }).code;
    if (value.cause !== undefined) copy.cause = redactAny(value.cause, secrets, seen);
    return copy;
  }
  if (ArrayBuffer.isView(value) || value instanceof Date || value instanceof URL) {
    return value instanceof URL ? redactText(value.href, secrets) : value;
  }
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const v of value) copy.push(redactAny(v, secrets, seen));
    return copy;
  }
  const copy: Record<string, unknown> = {};
  seen.set(value, copy);
  for (const [k, v] of Object.entries(value)) {
    copy[k] =
      SECRET_NAME.test(k) && v !== undefined && v !== null && v !== false ? REDACTED : redactAny(v, secrets, seen);
  }
  return copy;
}

/**
 * The one redaction function of partita: every connector, env-config error,
 * health and inspect output goes through it before a user can see it.
 *
 * Strings lose: the userinfo of URLs (`nats://alice:s3cret@host` →
 * `nats://[redacted]@host`, also with an unencoded `@` in the password),
 * schemeless `user:pass@host:port`, `password=…`/`token: …` pairs, and every
 * value in `options.secrets`. Objects and arrays are copied with their
 * strings redacted and the values of secret-named keys (`password`, `pass`,
 * `token`, `secret`, `creds`, `sasl`, `authorization`, …) replaced by
 * `[redacted]`; errors are copied (same name and `code`) with a redacted message, stack and cause. Other
 * values are returned as they are. Never throws.
 */
export function redact<T>(value: T, options: RedactOptions = {}): T {
  const secrets = (options.secrets ?? []).filter((s): s is string => typeof s === 'string' && s.length >= 3);
  // Longest first, so a secret containing another is replaced whole.
  secrets.sort((a, b) => b.length - a.length);
  return redactAny(value, secrets, new WeakMap()) as T;
}
