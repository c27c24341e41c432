import { ConfigError, redact, type Transport } from '@partita/core';
import { natsSecrets, type NatsTransportOptions } from '../options/nats-transport-options.js';
import { natsTransport } from '../transport/nats-transport.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Options from the environment:
 * `PARTITA_NATS_SERVERS` (comma-separated URLs), `PARTITA_NATS_TOKEN`,
 * `PARTITA_NATS_USER` + `PARTITA_NATS_PASS`, `PARTITA_NATS_CREDS` (file path),
 * `PARTITA_NATS_MODE` (`jetstream` | `core`), `PARTITA_DLQ_SUFFIX`.
 * A bad value is a `ConfigError` naming the variable; secret values are never echoed.
 */
export function natsFromEnv(env: Env = process.env, overrides: NatsTransportOptions = {}): NatsTransportOptions {
  const out: { -readonly [K in keyof NatsTransportOptions]: NatsTransportOptions[K] } = {};
  const servers = env.PARTITA_NATS_SERVERS?.trim();
  if (servers !== undefined && servers !== '') {
    const list = servers
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    for (const s of list) {
      if (!/^(nats|tls|ws|wss):\/\/[^\s]+$|^[^\s:/]+(:\d+)?$/.test(s)) {
        const secrets = natsSecrets({ servers: list, token: env.PARTITA_NATS_TOKEN, pass: env.PARTITA_NATS_PASS });
        throw new ConfigError(
          `PARTITA_NATS_SERVERS: "${redact(s, { secrets })}" is not a server; expected comma-separated URLs like nats://host:4222`,
        );
      }
    }
    out.servers = list;
  }
  const token = env.PARTITA_NATS_TOKEN;
  const user = env.PARTITA_NATS_USER;
  const pass = env.PARTITA_NATS_PASS;
  const creds = env.PARTITA_NATS_CREDS;
  const set = (v: string | undefined): boolean => v !== undefined && v !== '';
  if ([set(token), set(user), set(creds)].filter(Boolean).length > 1) {
    throw new ConfigError(
      'PARTITA_NATS_TOKEN, PARTITA_NATS_USER/PARTITA_NATS_PASS and PARTITA_NATS_CREDS are mutually exclusive; set only one (values redacted)',
    );
  }
  if (set(pass) && !set(user))
    throw new ConfigError('PARTITA_NATS_PASS (redacted) is set but PARTITA_NATS_USER is not; set both');
  if (set(user) && !set(pass))
    throw new ConfigError('PARTITA_NATS_USER is set but PARTITA_NATS_PASS is empty; set both');
  if (set(token)) out.token = token;
  if (set(user)) {
    out.user = user;
    out.pass = pass;
  }
  if (set(creds)) out.credsFile = creds;
  const mode = env.PARTITA_NATS_MODE;
  if (set(mode)) {
    if (mode !== 'jetstream' && mode !== 'core')
      throw new ConfigError(`PARTITA_NATS_MODE: "${redact(mode)}" is not a mode; expected "jetstream" or "core"`);
    out.mode = mode;
  }
  const dlq = env.PARTITA_DLQ_SUFFIX;
  if (set(dlq)) out.dlqSuffix = dlq;
  return { ...out, ...overrides };
}

/** What core's `transportFromEnv()` calls after loading `@partita/nats`. */
export function transportFromEnv(env: Env = process.env): Transport {
  return natsTransport(natsFromEnv(env));
}
