import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reachable, waitFor } from './nats-helpers.js';

export const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A private nats-server with JetStream on a spare port and its own store; never the machine's server. */
export class NatsServerProcess {
  private child: ChildProcess | undefined;
  readonly storeDir = mkdtempSync(join(tmpdir(), 'partita-nats-'));
  private constructor(readonly port: number) {}

  static async start(): Promise<NatsServerProcess> {
    const s = new NatsServerProcess(await freePort());
    await s.spawn();
    return s;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** (Re)start on the same port and store. */
  async spawn(): Promise<void> {
    const child = spawn(NATS_SERVER_BIN, ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir], {
      stdio: 'ignore',
    });
    this.child = child;
    await waitFor(
      async () => child.exitCode === null && (await reachable('127.0.0.1', this.port)),
      `nats-server on ${this.port}`,
      30_000,
    );
  }

  /** kill -9, then wait until the process is gone. */
  async kill9(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill9();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
