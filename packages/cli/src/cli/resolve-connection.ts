import { TRANSPORT_NAMES, type Env, type TransportName } from '@partita/core';
import type { PartitaConfig } from '../config/load-config.js';
import { transportVariables } from '../config/create-transport-from-config.js';
import { CliError, EXIT, usageError } from './cli-error.js';
import type { OptionValues } from './command-spec.js';
import { CONNECTOR_FLAGS } from './global-options.js';

/** Where a command goes: a running app's admin endpoint, or a broker through its connector. */
export type Connection =
  | { readonly kind: 'http'; readonly url: string; readonly token: string | undefined; readonly from: string }
  | {
      readonly kind: 'transport';
      readonly transport: TransportName;
      /** The `PARTITA_*` variables the connector is built from. */
      readonly variables: Readonly<Record<string, string>>;
      readonly from: string;
    };

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * Pick the connection: flags first, then `PARTITA_*` variables, then the
 * config file; at each level an admin URL (`--url`, `PARTITA_ADMIN_URL`,
 * `admin.url`) wins over a transport. Connector flags (`--brokers`, …) imply
 * their transport. The embedded broker (`memory`) lives inside an app, so it
 * is reached through that app's `--url`, never directly.
 */
export function resolveConnection(values: OptionValues, env: Env, config: PartitaConfig): Connection {
  const token = str(values.token) ?? str(env.PARTITA_ADMIN_TOKEN) ?? config.admin.token;
  const flagVariables: Record<string, string> = {};
  let implied: TransportName | undefined;
  for (const [flag, { transport, variable }] of Object.entries(CONNECTOR_FLAGS)) {
    const v = str(values[flag]);
    if (v === undefined) continue;
    if (implied !== undefined && implied !== transport)
      throw usageError(`--${flag} is for ${transport} but another flag is for ${implied}; give one broker`);
    implied = transport;
    flagVariables[variable] = v;
  }
  const flagTransport = str(values.transport);
  if (flagTransport !== undefined && !(TRANSPORT_NAMES as readonly string[]).includes(flagTransport))
    throw usageError(
      `--transport ${JSON.stringify(flagTransport)} is not a transport; use one of kafka, nats, redis, rabbitmq, sqs`,
    );
  if (flagTransport !== undefined && implied !== undefined && flagTransport !== implied)
    throw usageError(`--transport ${flagTransport} does not match the ${implied} flag given; drop one`);

  const url = str(values.url);
  if (url !== undefined) {
    if (flagTransport !== undefined || implied !== undefined)
      throw usageError('--url reaches a running app, --transport/--brokers/… a broker: give one of them');
    return { kind: 'http', url, token, from: '--url' };
  }
  const transportFlag = (flagTransport ?? implied) as TransportName | undefined;
  const vars = transportVariables(config, {
    ...env,
    ...flagVariables,
    ...(transportFlag ? { PARTITA_TRANSPORT: transportFlag } : {}),
  });
  const viaTransport = (from: string): Connection => {
    const name = vars.PARTITA_TRANSPORT as TransportName;
    if (!(TRANSPORT_NAMES as readonly string[]).includes(name))
      throw usageError(
        `PARTITA_TRANSPORT=${JSON.stringify(name)} is not a transport; use one of kafka, nats, redis, rabbitmq, sqs`,
      );
    if (name === 'memory')
      throw new CliError(
        "the embedded broker (memory) lives inside an app: reach it through that app's admin endpoint with --url (e.g. --url http://127.0.0.1:9464)",
        EXIT.usage,
      );
    return { kind: 'transport', transport: name, variables: vars, from };
  };
  if (transportFlag !== undefined)
    return viaTransport(flagTransport !== undefined ? '--transport' : 'a connector flag');
  const envUrl = str(env.PARTITA_ADMIN_URL);
  if (envUrl !== undefined) return { kind: 'http', url: envUrl, token, from: 'PARTITA_ADMIN_URL' };
  if (str(env.PARTITA_TRANSPORT) !== undefined) return viaTransport('PARTITA_TRANSPORT');
  if (config.admin.url !== undefined)
    return { kind: 'http', url: config.admin.url, token, from: `${config.path} (admin.url)` };
  if (config.transport !== undefined) return viaTransport(`${config.path} (transport)`);
  throw new CliError(
    'no broker or app given: pass --transport kafka|nats|redis|rabbitmq|sqs with its flags (e.g. --brokers 127.0.0.1:9092), ' +
      'set PARTITA_TRANSPORT, write a partita.config.yaml, or reach a running app (and its embedded broker) with --url http://127.0.0.1:9464',
    EXIT.usage,
  );
}
