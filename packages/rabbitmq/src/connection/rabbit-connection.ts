import { readFileSync } from 'node:fs';
import amqp, { type AmqpConnectionManager } from 'amqp-connection-manager';
import type { Channel } from 'amqplib';
import { ClosedError, ConfigError, ConnectionError, redact, type Logger } from '@partita/core';
import { rabbitSecrets, type ResolvedRabbitMqOptions } from '../options/rabbitmq-transport-options.js';

/** URLs with their user info redacted, for errors, logs and health. */
export function redactUrls(urls: readonly string[]): string[] {
  const secrets = rabbitSecrets({ urls });
  return urls.map((u) => redact(u, { secrets }));
}

function readPem(option: string, file: string | undefined): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(
      `rabbitmqTransport: cannot read the file given by "tls.${option}" (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      { cause: err },
    );
  }
}

/**
 * One AMQP connection kept open by amqp-connection-manager (it reconnects;
 * channels created through it are re-opened and set up again). Tracks the
 * connection state for health and logs its events to `log` (connect and
 * reconnect at `debug` and `info`, disconnect, failed connect and blocked at `warn`,
 * errors at `error`). Errors never carry the URL's credentials.
 */
export class RabbitConnection {
  readonly manager: AmqpConnectionManager;
  disconnected = true;
  reconnects = 0;
  lastError: string | undefined;
  private connectedOnce = false;
  private closed = false;

  constructor(
    private readonly o: ResolvedRabbitMqOptions,
    /** The connector's logger; channels log their errors here too. */
    readonly log: Logger,
  ) {
    const tls = o.tls;
    const connectionOptions = {
      timeout: o.connectTimeoutMs,
      clientProperties: { connection_name: o.name, product: 'partita' },
      ...(tls
        ? {
            ca: readPem('caFile', tls.caFile),
            cert: readPem('certFile', tls.certFile),
            key: readPem('keyFile', tls.keyFile),
            rejectUnauthorized: tls.rejectUnauthorized ?? true,
          }
        : {}),
    };
    this.manager = amqp.connect([...o.urls], {
      heartbeatIntervalInSeconds: o.heartbeatSeconds,
      reconnectTimeInSeconds: o.reconnectTimeMs / 1000,
      connectionOptions,
    });
    this.manager.on('connect', () => {
      if (this.connectedOnce) this.reconnects++;
      if (this.connectedOnce) log.info({ reconnects: this.reconnects }, 'reconnected to RabbitMQ');
      else log.debug('connected to RabbitMQ');
      this.connectedOnce = true;
      this.disconnected = false;
      this.lastError = undefined;
    });
    this.manager.on('disconnect', ({ err }) => {
      this.disconnected = true;
      this.lastError = this.describe(err);
      if (!this.closed) log.warn({ err }, 'disconnected from RabbitMQ; reconnecting');
    });
    this.manager.on('connectFailed', ({ err }) => {
      this.lastError = this.describe(err);
      log.warn({ err }, 'cannot connect to RabbitMQ; retrying');
    });
    this.manager.on('blocked', ({ reason }) =>
      log.warn({ reason }, 'RabbitMQ blocked the connection (resource alarm); publishes wait'),
    );
    this.manager.on('unblocked', () => log.info('RabbitMQ unblocked the connection'));
    // Errors are reported through health and the log; an 'error' without a listener would crash the process.
    this.manager.on('error', (err: unknown) => {
      this.lastError = this.describe(err);
      log.error({ err }, 'RabbitMQ connection error');
    });
  }

  /** Wait for the first connection; rejects with `ConnectionError` after `connectTimeoutMs` (retries go on). */
  async ready(): Promise<void> {
    if (this.closed) throw new ClosedError('rabbitmq: the transport is closed');
    try {
      await this.manager.connect({ timeout: this.o.connectTimeoutMs });
    } catch (err) {
      throw new ConnectionError(
        `rabbitmq: cannot connect to ${redactUrls(this.o.urls).join(', ')}: ${this.describe(err)}`,
        { cause: err },
      );
    }
  }

  /**
   * A short-lived plain channel on the current connection for topology
   * operations: a failed declaration closes only this channel, never the
   * publisher's or a consumer's. Closed after `fn`.
   */
  async withChannel<T>(fn: (ch: Channel) => Promise<T>): Promise<T> {
    const conn = this.manager.connection;
    if (this.closed) throw new ClosedError('rabbitmq: the transport is closed');
    if (!conn) throw new ConnectionError('rabbitmq: not connected (reconnecting)');
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    try {
      return await fn(ch);
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.manager.close().catch(() => undefined);
  }

  private describe(err: unknown): string {
    const text = err instanceof Error ? err.message : String(err);
    return redact(text, { secrets: rabbitSecrets({ urls: this.o.urls }) });
  }
}
