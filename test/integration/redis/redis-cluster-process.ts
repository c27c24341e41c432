import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tcpReachable, waitFor } from '@partita/testing';
import { freePort, REDIS_SERVER_BIN } from './redis-server-process.js';

const run = promisify(execFile);
export const REDIS_CLI_BIN = process.env.REDIS_CLI_BIN ?? '/usr/bin/redis-cli';
export const hasRedisCluster = (): boolean => existsSync(REDIS_SERVER_BIN) && existsSync(REDIS_CLI_BIN);

/**
 * A private Redis Cluster of `masters` redis-server processes (no replicas,
 * no persistence) on spare ports in a temporary directory, created with
 * `redis-cli --cluster create`: never the machine's shared server.
 */
export class RedisClusterProcess {
  private readonly children: ChildProcess[] = [];
  readonly dir = mkdtempSync(join(tmpdir(), 'partita-redis-cluster-'));
  private constructor(readonly ports: readonly number[]) {}

  /** Start the servers, create the cluster, and wait until every node reports `cluster_state:ok`. */
  static async start(masters = 3): Promise<RedisClusterProcess> {
    // Each node needs a client port and a cluster bus port (`cluster-port`), all spare.
    const ports: number[] = [];
    while (ports.length < masters * 2) {
      const p = await freePort();
      if (!ports.includes(p)) ports.push(p);
    }
    const c = new RedisClusterProcess(ports.slice(0, masters));
    try {
      await Promise.all(c.ports.map((port, i) => c.spawnNode(port, ports[masters + i]!)));
      await run(REDIS_CLI_BIN, [
        '--cluster',
        'create',
        ...c.ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ]);
      await waitFor(async () => (await Promise.all(c.ports.map((p) => c.clusterOk(p)))).every(Boolean), {
        timeoutMs: 60_000,
        intervalMs: 100,
        description: 'every cluster node to report cluster_state:ok with all slots and nodes known',
      });
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  /** Seed node URLs for the transport's `cluster.nodes`. */
  get nodes(): string[] {
    return this.ports.map((p) => `redis://127.0.0.1:${p}`);
  }

  private async spawnNode(port: number, busPort: number): Promise<void> {
    const child = spawn(
      REDIS_SERVER_BIN,
      [
        '--port',
        String(port),
        '--cluster-port',
        String(busPort),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(this.dir, `nodes-${port}.conf`),
        '--appendonly',
        'no',
        '--save',
        '',
        '--daemonize',
        'no',
        '--protected-mode',
        'no',
      ],
      { stdio: 'ignore' },
    );
    this.children.push(child);
    await waitFor(async () => child.exitCode === null && (await tcpReachable({ host: '127.0.0.1', port })) === true, {
      timeoutMs: 30_000,
      intervalMs: 25,
      description: `cluster node redis-server on ${port}`,
    });
  }

  private async clusterOk(port: number): Promise<boolean> {
    const { stdout } = await run(REDIS_CLI_BIN, ['-p', String(port), 'CLUSTER', 'INFO']);
    return (
      /cluster_state:ok/.test(stdout) &&
      /cluster_slots_ok:16384/.test(stdout) &&
      new RegExp(`cluster_known_nodes:${this.ports.length}\\b`).test(stdout)
    );
  }

  /** `CLUSTER KEYSLOT` of a key, as the server computes it. */
  async keySlot(key: string): Promise<number> {
    const { stdout } = await run(REDIS_CLI_BIN, ['-p', String(this.ports[0]), 'CLUSTER', 'KEYSLOT', key]);
    return Number(stdout.trim());
  }

  /** `redis-cli` against one node; its reply, trimmed. */
  private async cli(port: number, ...args: string[]): Promise<string> {
    const { stdout } = await run(REDIS_CLI_BIN, ['-p', String(port), ...args]);
    return stdout.trim();
  }

  /** The port of the master serving `slot`, and every node's id by port. */
  private async slotOwner(slot: number): Promise<{ owner: number; ids: Map<number, string> }> {
    const ids = new Map<number, string>();
    for (const port of this.ports) ids.set(port, await this.cli(port, 'CLUSTER', 'MYID'));
    const rows = JSON.parse(
      (await run(REDIS_CLI_BIN, ['-p', String(this.ports[0]), '--json', 'CLUSTER', 'SLOTS'])).stdout,
    ) as [number, number, [string, number, string]][];
    const row = rows.find(([from, to]) => slot >= from && slot <= to);
    if (!row) throw new Error(`no master serves slot ${slot}`);
    return { owner: row[2][1], ids };
  }

  /**
   * Move one slot, keys included, to another master (what a resharding
   * does, slot by slot): IMPORTING/MIGRATING, `MIGRATE` of its keys, then
   * the new owner announced to every node. Returns the new owner's port.
   */
  async moveSlot(slot: number): Promise<number> {
    const { owner, ids } = await this.slotOwner(slot);
    const target = this.ports.find((p) => p !== owner)!;
    const [from, to] = [ids.get(owner)!, ids.get(target)!];
    await this.cli(target, 'CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', from);
    await this.cli(owner, 'CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', to);
    for (;;) {
      const keys = (await this.cli(owner, 'CLUSTER', 'GETKEYSINSLOT', String(slot), '1000'))
        .split('\n')
        .filter(Boolean);
      if (keys.length === 0) break;
      await this.cli(owner, 'MIGRATE', '127.0.0.1', String(target), '', '0', '10000', 'KEYS', ...keys);
    }
    for (const port of [target, owner, ...this.ports.filter((p) => p !== target && p !== owner)])
      await this.cli(port, 'CLUSTER', 'SETSLOT', String(slot), 'NODE', to);
    return target;
  }

  /** kill -9 every node, then remove the directory. */
  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const exited = new Promise<void>((r) => c.once('exit', () => r()));
        c.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
