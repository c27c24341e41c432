import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type NatsConnection, type Status } from '@nats-io/transport-node';
import { ClosedError, ConfigError, ConnectionError, redact, type Logger } from '@partita/core';
import { natsSecrets, type ResolvedNatsOptions } from '../options/nats-transport-options.js';

/** Connection state tracked from the client's status stream. */
export interface ConnectionState {
  readonly nc: NatsConnection;
  /** True between a `disconnect` and the next `reconnect`. */
  readonly disconnected: boolean;
  readonly reconnects: number;
  readonly lastError: string | undefined;
}

/**
 * Servers with their user info redacted (`nats://user:pass@host` and
 * `user:pass@host` → `[redacted]@host`), for errors, logs and health.
 */
export function redactServers(servers: readonly string[]): string[] {
  const secrets = natsSecrets({ servers });
  return servers.map((s) => redact(s, { secrets }));
}

/**
 * Log one status event of the client: disconnects, stale connections and
 * slow consumers at `warn`, server errors at `error`, reconnects at `info`,
 * the rest at `debug` (pings at `trace`).
 */
function logStatus(log: Logger, s: Status): void {
  switch (s.type) {
    case 'disconnect':
      return log.warn({ server: s.server }, 'disconnected from NATS; reconnecting');
    case 'reconnect':
      return log.info({ server: s.server }, 'reconnected to NATS');
    case 'reconnecting':
      return log.debug('reconnecting to NATS');
    case 'staleConnection':
      return log.warn('NATS connection stale (no pong); reconnecting');
    case 'slowConsumer':
      return log.warn(
        { subject: s.sub.getSubject(), pending: s.pending },
        'NATS slow consumer: the client drops messages for this subscription',
      );
    case 'error':
      return log.error({ err: s.error }, 'NATS server error');
    case 'ldm':
      return log.info({ server: s.server }, 'NATS server entering lame duck mode');
    case 'update':
      return log.debug({ added: s.added, deleted: s.deleted }, 'NATS cluster servers changed');
    case 'forceReconnect':
      return log.info('NATS reconnect forced');
    case 'close':
      return log.debug('NATS connection closed');
    case 'ping':
      return log.trace({ pendingPings: s.pendingPings }, 'NATS ping');
  }
}

/**
 * Open a NATS connection with partita's reconnect policy and track its status
 * (each status event is logged to `log`). Rejects with `ConnectionError`
 * (cause kept) when the first connect fails, `ConfigError` when the
 * credentials file cannot be read.
 */
export async function openConnection(
  o: ResolvedNatsOptions,
  log: Logger,
): Promise<ConnectionState & { close(): Promise<void> }> {
  let authenticator;
  if (o.credsFile !== undefined) {
    let creds: Uint8Array;
    try {
      creds = readFileSync(o.credsFile);
    } catch (err) {
      throw new ConfigError(
        `natsTransport: cannot read the credentials file given by "credsFile" (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        { cause: err },
      );
    }
    authenticator = credsAuthenticator(creds);
  }
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: [...o.servers],
      name: o.name,
      maxReconnectAttempts: o.maxReconnectAttempts,
      reconnectTimeWait: o.reconnectTimeWaitMs,
      timeout: o.connectTimeoutMs,
      waitOnFirstConnect: false,
      ...(o.token !== undefined ? { token: o.token } : {}),
      ...(o.user !== undefined ? { user: o.user, pass: o.pass ?? '' } : {}),
      ...(authenticator ? { authenticator } : {}),
      ...(o.tls ? { tls: { ...o.tls } } : {}),
    });
  } catch (err) {
    const secrets = natsSecrets(o);
    const reason = redact(err instanceof Error ? err.message : String(err), { secrets });
    throw new ConnectionError(`cannot connect to NATS at ${redactServers(o.servers).join(', ')}: ${reason}`, {
      cause: redact(err, { secrets }),
    });
  }
  const state = { nc, disconnected: false, reconnects: 0, lastError: undefined as string | undefined };
  void (async () => {
    for await (const s of nc.status()) {
      logStatus(log, s);
      if (s.type === 'disconnect') state.disconnected = true;
      else if (s.type === 'reconnect') {
        state.disconnected = false;
        state.reconnects++;
      } else if (s.type === 'error') state.lastError = s.error instanceof Error ? s.error.message : String(s.error);
    }
  })().catch(() => undefined);
  return Object.assign(state, {
    async close(): Promise<void> {
      if (nc.isClosed()) return;
      await nc.drain().catch(() => nc.close());
    },
  });
}

/** Throw `ClosedError` when the transport was closed. */
export function assertOpen(closed: boolean, what: string): void {
  if (closed) throw new ClosedError(`${what}: the NATS transport is closed`);
}
