import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { systemClock } from '@partita/core';
import type { Clock } from '@partita/core';
import { FaultPipe } from './fault-pipe.js';

/** Options of {@link createFaultProxy}. */
export interface FaultProxyOptions {
  /** Where connections are forwarded (the real broker). */
  readonly target: { readonly host: string; readonly port: number };
  /** Port to listen on, on 127.0.0.1 only. @defaultValue 0 (an ephemeral port) */
  readonly listenPort?: number;
  /** Time source for latency. @defaultValue systemClock */
  readonly clock?: Clock;
}

/** Counters of a proxy, for `waitFor` conditions. */
export interface FaultProxyStats {
  /** Connections currently open through the proxy. */
  readonly active: number;
  /** Connections accepted since the proxy started. */
  readonly accepted: number;
  /** Connections destroyed with RST by `reset()`. */
  readonly resets: number;
  /** Bytes forwarded client → target and target → client. */
  readonly bytesUp: number;
  readonly bytesDown: number;
  /** Bytes received and not yet forwarded (delayed by latency or held by a blackhole). */
  readonly bytesQueued: number;
  readonly latencyMs: number;
  readonly blackholed: boolean;
  readonly refusing: boolean;
}

/**
 * A TCP proxy on 127.0.0.1 that injects network faults between a client and
 * `target`. Faults combine; `heal()` clears all of them.
 *
 * - `latency(ms)`: every chunk, both directions, is delayed by `ms` (order kept).
 * - `blackhole()`: connections stay open and new ones are accepted, but no byte
 *   is forwarded in either direction; bytes are held (as TCP would retransmit
 *   them) and delivered on `heal()` if both ends are still there.
 * - `reset()`: every current connection is destroyed with a TCP RST on both
 *   sides (`ECONNRESET` for the peers); new connections are still accepted.
 * - `refuse()`: the listener closes, so new connections get `ECONNREFUSED`;
 *   current connections are untouched (combine with `reset()` to cut all).
 * - `close()`: stops listening and destroys every connection. Idempotent.
 */
export interface FaultProxy {
  readonly host: '127.0.0.1';
  /** The port clients connect to (stable across `refuse()`/`heal()`). */
  readonly port: number;
  latency(ms: number): void;
  blackhole(): void;
  /** Returns how many connections were reset. */
  reset(): number;
  refuse(): Promise<void>;
  heal(): Promise<void>;
  stats(): FaultProxyStats;
  close(): Promise<void>;
}

interface Link {
  readonly client: Socket;
  readonly upstream: Socket;
  /** Client → upstream, upstream → client. */
  readonly pipes: readonly [FaultPipe, FaultPipe];
}

function validate(options: FaultProxyOptions): void {
  const t = options?.target;
  if (!t || typeof t.host !== 'string' || t.host === '') {
    throw new TypeError('createFaultProxy: options.target.host must be a non-empty host name or address');
  }
  if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65_535) {
    throw new RangeError(`createFaultProxy: options.target.port must be an integer 1..65535, got ${String(t.port)}`);
  }
  const lp = options.listenPort ?? 0;
  if (!Number.isInteger(lp) || lp < 0 || lp > 65_535) {
    throw new RangeError(`createFaultProxy: options.listenPort must be an integer 0..65535, got ${String(lp)}`);
  }
}

/** Start a fault proxy; resolves once it listens. */
export async function createFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  validate(options);
  const clock = options.clock ?? systemClock;
  const links = new Set<Link>();
  let latencyMs = 0;
  let holding = false;
  let server: Server | undefined;
  let port = options.listenPort ?? 0;
  let accepted = 0;
  let resets = 0;
  let closedBytesUp = 0;
  let closedBytesDown = 0;
  let closed = false;
  const conditions = { clock, latencyMs: () => latencyMs, holding: () => holding };

  const onConnection = (client: Socket): void => {
    accepted++;
    const upstream = createConnection({ host: options.target.host, port: options.target.port });
    const link: Link = {
      client,
      upstream,
      pipes: [new FaultPipe(client, upstream, conditions), new FaultPipe(upstream, client, conditions)],
    };
    links.add(link);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      closedBytesUp += link.pipes[0].forwarded;
      closedBytesDown += link.pipes[1].forwarded;
      for (const p of link.pipes) p.dispose();
      links.delete(link);
    };
    // An error on one side (refused, reset by peer) resets the other: the client sees what a direct connection would.
    client.on('error', () => {
      if (!upstream.destroyed) upstream.resetAndDestroy();
    });
    upstream.on('error', () => {
      if (!client.destroyed) client.resetAndDestroy();
    });
    // A side that closed without RST (FIN, or destroyed by us) ends the other once its queue is flushed.
    client.on('close', () => {
      link.pipes[0].finish();
      if (upstream.destroyed) finish();
    });
    upstream.on('close', () => {
      link.pipes[1].finish();
      if (client.destroyed) finish();
    });
  };

  const listen = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const s = createServer({ noDelay: true }, onConnection);
      s.once('error', reject);
      s.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
        s.off('error', reject);
        s.on('error', () => undefined);
        const addr = s.address();
        if (addr && typeof addr === 'object') port = addr.port;
        server = s;
        resolve();
      });
    });

  const stopListening = (): void => {
    // `close` stops accepting at once; its callback would wait for open connections, so it is not awaited.
    server?.close();
    server = undefined;
  };

  const pumpAll = (): void => {
    for (const l of links) for (const p of l.pipes) p.pump();
  };

  await listen();

  return {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    latency(ms) {
      if (!Number.isFinite(ms) || ms < 0)
        throw new RangeError(`faultProxy.latency: ms must be a finite number >= 0, got ${String(ms)}`);
      latencyMs = ms;
      pumpAll();
    },
    blackhole() {
      holding = true;
    },
    reset() {
      let n = 0;
      for (const l of [...links]) {
        n++;
        if (!l.client.destroyed) l.client.resetAndDestroy();
        if (!l.upstream.destroyed) l.upstream.resetAndDestroy();
      }
      resets += n;
      return n;
    },
    refuse() {
      stopListening();
      return Promise.resolve();
    },
    async heal() {
      latencyMs = 0;
      holding = false;
      pumpAll();
      if (!server && !closed) await listen();
    },
    stats() {
      let up = closedBytesUp;
      let down = closedBytesDown;
      let queued = 0;
      for (const l of links) {
        up += l.pipes[0].forwarded;
        down += l.pipes[1].forwarded;
        queued += l.pipes[0].queuedBytes + l.pipes[1].queuedBytes;
      }
      return {
        active: links.size,
        accepted,
        resets,
        bytesUp: up,
        bytesDown: down,
        bytesQueued: queued,
        latencyMs,
        blackholed: holding,
        refusing: !server,
      };
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      stopListening();
      for (const l of [...links]) {
        l.client.destroy();
        l.upstream.destroy();
        for (const p of l.pipes) p.dispose();
      }
      links.clear();
      return Promise.resolve();
    },
  };
}
