import { ConfigError, type Env } from '@partita/core';

/**
 * Replace `${NAME}` and `${NAME:-default}` in `text` with the environment's
 * value (`default` when `NAME` is unset or empty); `$${` is a literal `${`.
 * An unset variable without a default is a `ConfigError` naming it and where
 * it was used (`where`), so a deployment fails at start, not at first use.
 */
export function interpolate(text: string, env: Env, where: string): string {
  return text.replace(/\$\$\{|\$\{([^}]*)\}/g, (match, body: string | undefined) => {
    if (match === '$${') return '${';
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s.exec(body ?? '');
    if (!m)
      throw new ConfigError(
        `${where}: "\${${body ?? ''}}" is not a variable reference; write \${NAME} or \${NAME:-default} ($\${ for a literal \${)`,
      );
    const value = env[m[1]!];
    if (value !== undefined && value !== '') return value;
    if (m[2] !== undefined) return m[2];
    throw new ConfigError(
      `${where}: environment variable ${m[1]} is not set; set it, or give a default as \${${m[1]}:-value}`,
    );
  });
}

/** {@link interpolate} on every string of a parsed config, keys as written; errors name `file` and the key path. */
export function interpolateDeep(value: unknown, env: Env, file: string, path = ''): unknown {
  if (typeof value === 'string') return interpolate(value, env, path === '' ? file : `${file} (${path})`);
  if (Array.isArray(value)) return value.map((v, i) => interpolateDeep(v, env, file, `${path}[${i}]`));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolateDeep(v, env, file, path === '' ? k : `${path}.${k}`)]),
    );
  return value;
}
