import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError, TRANSPORT_NAMES, type Env, type TransportName } from '@partita/core';
import { parse as parseYaml } from 'yaml';
import { SECTION_VARIABLES, sectionVariables, type SectionName } from './config-variables.js';
import { interpolateDeep } from './interpolate.js';

/** The file names `loadConfig` looks for in the working directory, in this order. */
export const CONFIG_FILES = ['partita.config.yaml', 'partita.config.yml', 'partita.config.json'] as const;

/**
 * A deployment's broker description, from `partita.config.yaml|json`:
 *
 * ```yaml
 * transport: kafka
 * dlqSuffix: .dlq
 * kafka:
 *   brokers: ${KAFKA_BROKERS:-127.0.0.1:9092}
 *   sasl: { mechanism: scram-sha-512, username: ops, password: ${KAFKA_PASSWORD} }
 * admin:
 *   url: http://127.0.0.1:9464
 *   token: ${PARTITA_ADMIN_TOKEN:-}
 * ```
 */
export interface PartitaConfig {
  /** The file read (absolute), or undefined when there was none. */
  readonly path: string | undefined;
  /** `transport:` of the file. */
  readonly transport: TransportName | undefined;
  /** The `PARTITA_*` variables the file sets (`dlqSuffix` and the connector sections). */
  readonly variables: Readonly<Record<string, string>>;
  /** A running app's admin endpoint (`admin.url`, `admin.token`). */
  readonly admin: { readonly url?: string; readonly token?: string };
}

export interface LoadConfigOptions {
  /** The file; default `PARTITA_CONFIG`, else the first of {@link CONFIG_FILES} in `cwd`. */
  readonly path?: string;
  /** Where to look (default `process.cwd()`). */
  readonly cwd?: string;
  /** For `${NAME}` interpolation and `PARTITA_CONFIG` (default `process.env`). */
  readonly env?: Env;
}

const TOP_LEVEL = ['transport', 'dlqSuffix', 'admin', ...Object.keys(SECTION_VARIABLES)];

/**
 * Read the config file (YAML or JSON), interpolate `${NAME}` and
 * `${NAME:-default}` from the environment, and validate it. Without a file
 * (none given and none found) it resolves with an empty config. Any problem
 * is a `ConfigError` naming the file, the key and the fix; secret values are
 * never quoted.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<PartitaConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const given = options.path ?? (env.PARTITA_CONFIG?.trim() || undefined);
  let path: string | undefined;
  let text: string | undefined;
  if (given !== undefined) {
    path = resolve(cwd, given);
    text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new ConfigError(
        err.code === 'ENOENT'
          ? `config file ${path} does not exist; check --config / PARTITA_CONFIG, or create it (see the @partita/cli README, "Configuration")`
          : `config file ${path} cannot be read: ${err.message}`,
        { cause: err },
      );
    });
  } else {
    for (const name of CONFIG_FILES) {
      const candidate = resolve(cwd, name);
      const found = await readFile(candidate, 'utf8').catch(() => undefined);
      if (found !== undefined) {
        path = candidate;
        text = found;
        break;
      }
    }
  }
  if (path === undefined || text === undefined)
    return { path: undefined, transport: undefined, variables: {}, admin: {} };
  return parseConfig(text, path, env);
}

/** Parse and validate the text of a config file (`file` names it in errors and picks JSON for `.json`). */
export function parseConfig(text: string, file: string, env: Env = process.env): PartitaConfig {
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    // The parser's message without the source snippet it may quote (a line may hold a secret).
    const reason = String((err as Error).message)
      .split('\n')[0]!
      .replace(/"[^"]*"/g, '"…"');
    throw new ConfigError(`config file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${reason}`);
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError(`config file ${file}: expected a mapping with keys such as transport, kafka, admin`);
  const doc = interpolateDeep(raw, env, file) as Record<string, unknown>;
  for (const key of Object.keys(doc))
    if (!TOP_LEVEL.includes(key))
      throw new ConfigError(`config file ${file}: unknown key "${key}"; expected one of ${TOP_LEVEL.join(', ')}`);
  const transport = doc.transport;
  if (transport !== undefined && !(TRANSPORT_NAMES as readonly unknown[]).includes(transport))
    throw new ConfigError(`config file ${file} (transport): expected one of ${TRANSPORT_NAMES.join(', ')}`);
  const variables: Record<string, string> = {};
  if (doc.dlqSuffix !== undefined) {
    if (typeof doc.dlqSuffix !== 'string')
      throw new ConfigError(`config file ${file} (dlqSuffix): expected a string such as ".dlq"`);
    variables.PARTITA_DLQ_SUFFIX = doc.dlqSuffix;
  }
  for (const section of Object.keys(SECTION_VARIABLES) as SectionName[])
    Object.assign(variables, sectionVariables(section, doc[section], `config file ${file}`));
  return { path: file, transport: transport as TransportName | undefined, variables, admin: adminOf(doc.admin, file) };
}

function adminOf(value: unknown, file: string): PartitaConfig['admin'] {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(`config file ${file} (admin): expected a mapping with url and token`);
  const out: { url?: string; token?: string } = {};
  for (const [key, v] of Object.entries(value)) {
    if (key !== 'url' && key !== 'token')
      throw new ConfigError(`config file ${file} (admin.${key}): unknown option; admin takes url and token`);
    if (v === null || v === undefined || v === '') continue;
    if (typeof v !== 'string') throw new ConfigError(`config file ${file} (admin.${key}): expected a string`);
    out[key] = v;
  }
  return out;
}
