import { ConfigError } from '../errors/partita-error.js';
import { redact, REDACTED } from '../redact/redact.js';

export type Env = Readonly<Record<string, string | undefined>>;

const SECRET = /PASS|PASSWORD|TOKEN|SECRET|CREDS|KEY/i;

/**
 * The value as it may appear in an error message: the whole value of a
 * secret-named variable is redacted, and credentials inside any other value
 * (`nats://alice:s3cret@host`, `alice:s3cret@host:4222`) go through `redact`.
 */
export function shown(name: string, value: string): string {
  return SECRET.test(name) ? REDACTED : JSON.stringify(redact(value));
}

/** A `ConfigError` naming the variable, its value (secrets redacted) and the expected form. */
export function envError(name: string, value: string, expected: string): ConfigError {
  return new ConfigError(`environment variable ${name}=${shown(name, value)} is invalid: expected ${expected}`);
}

/**
 * Typed readers over an environment object, shared by core's `fromEnv` and
 * every connector's `transportFromEnv`, so all of them fail the same way.
 * An empty string counts as unset.
 */
export function envReader(env: Env) {
  const raw = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  return {
    string: (name: string): string | undefined => raw(name),
    oneOf: <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
      const v = raw(name);
      if (v === undefined) return undefined;
      if (!(allowed as readonly string[]).includes(v)) throw envError(name, v, `one of ${allowed.join(', ')}`);
      return v as T;
    },
    int: (name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined => {
      const v = raw(name);
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!/^-?\d+$/.test(v) || n < min || n > max) throw envError(name, v, `an integer from ${min} to ${max}`);
      return n;
    },
    bool: (name: string): boolean | undefined => {
      const v = raw(name)?.toLowerCase();
      if (v === undefined) return undefined;
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      throw envError(name, env[name]!, 'true or false');
    },
    list: (
      name: string,
      check?: (item: string) => boolean,
      expected = 'a comma-separated list',
    ): string[] | undefined => {
      const v = raw(name);
      if (v === undefined) return undefined;
      const items = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (items.length === 0 || (check && !items.every(check))) throw envError(name, v, expected);
      return items;
    },
  };
}
