import { ConfigError } from '../errors/partita-error.js';
import type { Transport } from '../transport/transport.js';
import type { Env } from './env-reader.js';
import { fromEnv } from './from-env.js';
import { redact } from '../redact/redact.js';

/** What a connector package exports so `transportFromEnv` can build it. */
export interface ConnectorModule {
  transportFromEnv(env: Env): Transport | Promise<Transport>;
}

/**
 * Build the transport named by `PARTITA_TRANSPORT` (default `memory`) by
 * loading `@partita/<name>` dynamically; core itself imports no connector.
 * A missing package is a `ConfigError` that names the `npm install` to run.
 */
export async function transportFromEnv(
  env: Env = process.env,
  load: (specifier: string) => Promise<unknown> = (s) => import(s),
): Promise<Transport> {
  const { transport: name } = fromEnv(env);
  const pkg = `@partita/${name}`;
  let mod: Partial<ConnectorModule>;
  try {
    mod = (await load(pkg)) as Partial<ConnectorModule>;
  } catch (err) {
    const code = (err as { code?: string })?.code;
    const missing =
      code === 'ERR_MODULE_NOT_FOUND' ||
      code === 'MODULE_NOT_FOUND' ||
      /Cannot find (package|module)/.test(String((err as Error)?.message));
    if (missing) {
      throw new ConfigError(
        `PARTITA_TRANSPORT=${name} needs the package ${pkg}, which is not installed: run \`npm install ${pkg}\``,
        { cause: err },
      );
    }
    throw new ConfigError(
      `PARTITA_TRANSPORT=${name}: loading ${pkg} failed: ${redact(String((err as Error)?.message ?? err))}`,
      { cause: err },
    );
  }
  if (typeof mod.transportFromEnv !== 'function') {
    throw new ConfigError(
      `${pkg} does not export transportFromEnv(env); upgrade it to a version that matches @partita/core`,
    );
  }
  return mod.transportFromEnv(env);
}
