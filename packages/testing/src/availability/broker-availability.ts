import { createConnection } from 'node:net';

/** Env variable that turns "broker unreachable → skip" into a failure (CI sets it to `1`). */
export const REQUIRE_BROKERS_ENV = 'PARTITA_REQUIRE_BROKERS';

/** Whether unreachable brokers must fail the run instead of skipping it. */
export function brokersRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env[REQUIRE_BROKERS_ENV];
  return v === '1' || v === 'true';
}

/** Options of {@link tcpReachable}. */
export interface TcpReachableOptions {
  readonly host: string;
  readonly port: number;
  /** @defaultValue 2_000 */
  readonly timeoutMs?: number;
}

/**
 * Resolve `true` when a TCP connection to `host:port` opens within
 * `timeoutMs`, otherwise a reason string (`"127.0.0.1:4222: ECONNREFUSED"`).
 * Never rejects: it is meant for `conformanceSuite({ available })`.
 */
export function tcpReachable(options: TcpReachableOptions): Promise<true | string> {
  const { host, port } = options;
  const timeoutMs = options.timeoutMs ?? 2_000;
  if (typeof host !== 'string' || host === '')
    throw new TypeError('tcpReachable: options.host must be a non-empty string');
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new RangeError(`tcpReachable: options.port must be an integer 1..65535, got ${String(port)}`);
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (result: true | string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(`${host}:${port}: no connection within ${timeoutMs} ms`), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', (err: NodeJS.ErrnoException) => done(`${host}:${port}: ${err.code ?? err.message}`));
  });
}
