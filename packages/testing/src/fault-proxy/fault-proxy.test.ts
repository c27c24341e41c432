import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createVirtualClock } from '@partita/core';
import { waitFor } from '../wait/wait-for.js';
import { createFaultProxy } from './fault-proxy.js';
import type { FaultProxy } from './fault-proxy.js';

/** A local echo server that records what it received and how its connections ended. */
interface Echo {
  readonly port: number;
  received: string;
  readonly serverSockets: Socket[];
  readonly errors: string[];
  close(): Promise<void>;
}

async function startEcho(): Promise<Echo> {
  const serverSockets: Socket[] = [];
  const echo: Echo = {
    port: 0,
    received: '',
    serverSockets,
    errors: [],
    close: () =>
      new Promise<void>((r) => {
        for (const s of serverSockets) s.destroy();
        server.close(() => r());
      }),
  };
  const server: Server = createServer((s) => {
    serverSockets.push(s);
    s.on('error', (e: NodeJS.ErrnoException) => echo.errors.push(e.code ?? e.message));
    s.on('data', (d) => {
      echo.received += d.toString();
      s.write(d);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  (echo as { port: number }).port = (server.address() as { port: number }).port;
  return echo;
}

interface Client {
  readonly socket: Socket;
  data: string;
  error: string | undefined;
  closed: boolean;
}

function connect(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const c: Client = { socket, data: '', error: undefined, closed: false };
    socket.on('data', (d) => (c.data += d.toString()));
    socket.on('close', () => (c.closed = true));
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', (e: NodeJS.ErrnoException) => (c.error = e.code ?? e.message));
      resolve(c);
    });
    socket.once('error', reject);
  });
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function setup(clock?: ReturnType<typeof createVirtualClock>): Promise<{ echo: Echo; proxy: FaultProxy }> {
  const echo = await startEcho();
  cleanups.push(() => echo.close());
  const proxy = await createFaultProxy({ target: { host: '127.0.0.1', port: echo.port }, clock });
  cleanups.push(() => proxy.close());
  return { echo, proxy };
}

const opts = { timeoutMs: 20_000, intervalMs: 5 };

describe('createFaultProxy', () => {
  it('forwards bytes both ways on 127.0.0.1 and counts connections', async () => {
    const { echo, proxy } = await setup();
    expect(proxy.host).toBe('127.0.0.1');
    const c = await connect(proxy.port);
    c.socket.write('hello');
    await waitFor(() => c.data === 'hello', opts);
    expect(echo.received).toBe('hello');
    expect(proxy.stats()).toMatchObject({ active: 1, accepted: 1, bytesUp: 5, bytesDown: 5, bytesQueued: 0 });
    c.socket.end();
    await waitFor(() => proxy.stats().active === 0, opts);
    expect(proxy.stats().accepted).toBe(1);
  });

  it('latency(ms) delays every chunk until the clock reached it, keeping order', async () => {
    const clock = createVirtualClock(1_000);
    const { echo, proxy } = await setup(clock);
    const c = await connect(proxy.port);
    proxy.latency(500);
    c.socket.write('a');
    await waitFor(() => proxy.stats().bytesQueued === 1, opts);
    c.socket.write('b');
    await waitFor(() => proxy.stats().bytesQueued === 2, opts);
    expect(echo.received).toBe('');
    await clock.advance(499);
    expect(echo.received).toBe('');
    await clock.advance(1);
    await waitFor(() => echo.received === 'ab', opts);
    // The echo's reply is delayed on the way back too.
    await waitFor(() => proxy.stats().bytesQueued === 2, opts);
    expect(c.data).toBe('');
    await clock.advance(500);
    await waitFor(() => c.data === 'ab', opts);
    expect(proxy.stats().latencyMs).toBe(500);
  });

  it('blackhole() holds bytes in both directions, also on new connections, and heal() delivers them', async () => {
    const { echo, proxy } = await setup();
    const c1 = await connect(proxy.port);
    c1.socket.write('x');
    await waitFor(() => c1.data === 'x', opts);
    proxy.blackhole();
    c1.socket.write('held');
    const c2 = await connect(proxy.port);
    c2.socket.write('new');
    await waitFor(() => proxy.stats().bytesQueued === 7, opts);
    expect(echo.received).toBe('x');
    expect(proxy.stats()).toMatchObject({ blackholed: true, active: 2 });
    expect(c1.closed || c2.closed).toBe(false);
    await proxy.heal();
    await waitFor(() => c1.data === 'xheld' && c2.data === 'new', opts);
    expect(proxy.stats().blackholed).toBe(false);
  });

  it('blackhole() holds the server-to-client direction too', async () => {
    const { echo, proxy } = await setup();
    const c = await connect(proxy.port);
    await waitFor(() => echo.serverSockets.length === 1, opts);
    proxy.blackhole();
    echo.serverSockets[0]!.write('from-server');
    await waitFor(() => proxy.stats().bytesQueued === 'from-server'.length, opts);
    expect(c.data).toBe('');
    await proxy.heal();
    await waitFor(() => c.data === 'from-server', opts);
  });

  it('reset() destroys current connections with RST on both sides and keeps accepting', async () => {
    const { echo, proxy } = await setup();
    const c = await connect(proxy.port);
    c.socket.write('ping');
    await waitFor(() => c.data === 'ping', opts);
    expect(proxy.reset()).toBe(1);
    await waitFor(() => c.closed, opts);
    expect(c.error).toBe('ECONNRESET');
    await waitFor(() => echo.errors.includes('ECONNRESET'), opts);
    await waitFor(() => proxy.stats().active === 0, opts);
    expect(proxy.stats().resets).toBe(1);
    const again = await connect(proxy.port);
    again.socket.write('pong');
    await waitFor(() => again.data === 'pong', opts);
  });

  it('refuse() rejects new connections with ECONNREFUSED, keeps current ones, and heal() listens again on the same port', async () => {
    const { proxy } = await setup();
    const port = proxy.port;
    const c = await connect(port);
    await proxy.refuse();
    expect(proxy.stats().refusing).toBe(true);
    await expect(connect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    c.socket.write('still');
    await waitFor(() => c.data === 'still', opts);
    await proxy.heal();
    expect(proxy.port).toBe(port);
    const d = await connect(port);
    d.socket.write('back');
    await waitFor(() => d.data === 'back', opts);
  });

  it('resets the client when the target is down', async () => {
    const { echo, proxy } = await setup();
    await echo.close();
    const c = await connect(proxy.port);
    await waitFor(() => c.closed, opts);
    expect(c.error).toBe('ECONNRESET');
    await waitFor(() => proxy.stats().active === 0, opts);
  });

  it('close() destroys connections and stops listening; it is idempotent', async () => {
    const { proxy } = await setup();
    const c = await connect(proxy.port);
    await proxy.close();
    await proxy.close();
    await waitFor(() => c.closed, opts);
    await expect(connect(proxy.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await proxy.heal();
    await expect(connect(proxy.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('validates its options', async () => {
    await expect(createFaultProxy({ target: { host: '', port: 1 } })).rejects.toThrow(/target.host/);
    await expect(createFaultProxy({ target: { host: '127.0.0.1', port: 0 } })).rejects.toBeInstanceOf(RangeError);
    await expect(createFaultProxy({ target: { host: '127.0.0.1', port: 1 }, listenPort: 70_000 })).rejects.toThrow(
      /listenPort/,
    );
    const { proxy } = await setup();
    expect(() => proxy.latency(-1)).toThrow(RangeError);
  });
});
