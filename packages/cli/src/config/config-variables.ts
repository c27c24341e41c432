import { ConfigError } from '@partita/core';

/**
 * The connector sections of a config file and the `PARTITA_<SECTION>_<NAME>`
 * variables their keys set (each connector's README lists them). A key is
 * camelCase or nested: `clientId` → `CLIENT_ID`, `sasl: { username }` →
 * `SASL_USERNAME`, `tls: { caFile }` → `TLS_CA_FILE`.
 */
export const SECTION_VARIABLES = {
  kafka: ['BROKERS', 'CLIENT_ID', 'SSL', 'SASL_MECHANISM', 'SASL_USERNAME', 'SASL_PASSWORD'],
  nats: ['SERVERS', 'TOKEN', 'USER', 'PASS', 'CREDS', 'MODE'],
  redis: ['URL', 'PASSWORD', 'DB', 'KEY_PREFIX', 'PARTITIONS'],
  rabbitmq: ['URL', 'PARTITIONS', 'QUEUE_TYPE', 'PREFIX', 'TLS_CA_FILE', 'TLS_CERT_FILE', 'TLS_KEY_FILE'],
  sqs: ['ENDPOINT', 'REGION', 'QUEUE_PREFIX'],
  memory: ['DATA_DIR', 'FSYNC', 'PARTITIONS'],
} as const satisfies Record<string, readonly string[]>;

export type SectionName = keyof typeof SECTION_VARIABLES;

const snake = (key: string): string => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

const camel = (name: string): string => name.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** A scalar (or a list of scalars, comma-joined) as a variable's value. */
function scalar(value: unknown, where: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => ['string', 'number'].includes(typeof v))) return value.join(',');
  throw new ConfigError(`${where}: expected a string, number, boolean or a list of strings`);
}

/**
 * The `PARTITA_*` variables one connector section sets. An unknown key is a
 * `ConfigError` listing the keys the section takes.
 */
export function sectionVariables(section: SectionName, body: unknown, file: string): Record<string, string> {
  const known: readonly string[] = SECTION_VARIABLES[section];
  const out: Record<string, string> = {};
  if (body === null || body === undefined) return out;
  if (typeof body !== 'object' || Array.isArray(body))
    throw new ConfigError(`${file}: "${section}" must be a mapping of options (e.g. ${camel(known[0]!)}: …)`);
  const walk = (obj: object, prefix: string, path: string): void => {
    for (const [key, value] of Object.entries(obj)) {
      const name = prefix + snake(key);
      const where = `${file} (${path}${key})`;
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        walk(value as object, `${name}_`, `${path}${key}.`);
        continue;
      }
      if (!known.includes(name))
        throw new ConfigError(
          `${where}: unknown option; "${section}" takes ${known.map(camel).join(', ')} (see the @partita/${section} README, "Environment")`,
        );
      const v = scalar(value, where);
      if (v !== undefined) out[`PARTITA_${section.toUpperCase()}_${name}`] = v;
    }
  };
  walk(body, '', `${section}.`);
  return out;
}
