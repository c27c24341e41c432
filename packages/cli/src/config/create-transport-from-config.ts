import { transportFromEnv, type Env, type Transport } from '@partita/core';
import type { PartitaConfig } from './load-config.js';

export interface TransportFromConfigOptions {
  /** Variables that override the file's (default `process.env`): `PARTITA_*` set there win. */
  readonly env?: Env;
  /** How a connector package is loaded (default: dynamic `import()`); for tests. */
  readonly load?: (specifier: string) => Promise<unknown>;
}

/**
 * The variables a transport is built from: the file's, then the
 * environment's `PARTITA_*` over them (flags of the CLI come in as
 * environment overrides). Precedence: environment > file > defaults.
 */
export function transportVariables(config: PartitaConfig, env: Env = process.env): Record<string, string> {
  const out: Record<string, string> = { ...config.variables };
  if (config.transport !== undefined) out.PARTITA_TRANSPORT = config.transport;
  for (const [name, value] of Object.entries(env))
    if (name.startsWith('PARTITA_') && value !== undefined && value.trim() !== '') out[name] = value;
  return out;
}

/**
 * Build the transport a config describes (`loadConfig()`), so an app and the
 * `partita` CLI read the same file:
 *
 * ```ts
 * const transport = await createTransportFromConfig(await loadConfig());
 * ```
 *
 * The connector package (`@partita/kafka`, …) is loaded dynamically; a
 * missing one is a `ConfigError` naming the `npm install` to run. Invalid
 * values are the connector's `ConfigError`s naming the `PARTITA_*` variable
 * the key sets.
 */
export function createTransportFromConfig(
  config: PartitaConfig = { path: undefined, transport: undefined, variables: {}, admin: {} },
  options: TransportFromConfigOptions = {},
): Promise<Transport> {
  return transportFromEnv(transportVariables(config, options.env), options.load ?? ((s) => import(s)));
}
