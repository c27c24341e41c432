import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ConnectorSession } from '../connectors/soak-connector.js';
import { startSoakMember, type SoakMemberConfig } from './soak-member.js';

/** The runner's grip on one member, wherever it runs. */
export interface MemberHandle {
  readonly label: string;
  /** Graceful stop; resolves once the member is gone. */
  stop(): Promise<void>;
  /** kill -9; resolves once the member is gone. */
  kill(): Promise<void>;
}

const STOP_GRACE_MS = 30_000;
const launcher = join(import.meta.dirname, '..', '..', 'dist', 'member', 'member-launcher.js');

interface Spare {
  readonly n: string;
  pid: number | undefined;
  label?: string;
  warm: boolean;
  exited: boolean;
  readonly exit: Promise<void>;
  onExit(): void;
}

/**
 * Member processes (`dist/member/member-main.js`, built JS), spawned ahead of
 * time by a launcher process (`member-launcher.ts`: on a busy machine a
 * `spawn()` blocks the caller's event loop for hundreds of ms, which would
 * stretch the churn's pauses). A few processes are kept warm (Node started,
 * modules loaded), so starting a member means joining the group, not paying
 * a Node start-up while the churn goes on.
 */
export class MemberProcesses {
  readonly #launcher: ChildProcess;
  readonly #procs = new Map<string, Spare>();
  readonly #spares: Spare[] = [];
  #next = 0;

  constructor(
    env: Readonly<Record<string, string>>,
    private readonly onError: (line: string) => void,
    spares: number,
    private readonly onReady: (label: string) => void = () => {},
  ) {
    this.#launcher = spawn(process.execPath, [launcher], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#launcher.stdin!.on('error', () => {});
    this.#launcher.stderr!.setEncoding('utf8').on('data', (d: string) => onError(d.trimEnd()));
    createInterface({ input: this.#launcher.stdout! }).on('line', (line) => {
      const [verb, n, pid] = line.split(' ');
      const p = this.#procs.get(n ?? '');
      if (!p) return;
      if (verb === 'pid') p.pid = Number(pid);
      else if (verb === 'warm') p.warm = true;
      else if (verb === 'ready') this.onReady(p.label ?? n!);
      else if (verb === 'exit') p.onExit();
    });
    this.#launcher.once('exit', () => {
      for (const p of this.#procs.values()) p.onExit();
    });
    for (let i = 0; i < spares; i++) this.#spawn();
  }

  #spawn(): void {
    const n = String(++this.#next);
    let onExit!: () => void;
    const exit = new Promise<void>((resolve) => (onExit = resolve));
    const spare: Spare = {
      n,
      pid: undefined,
      warm: false,
      exited: false,
      exit,
      onExit: () => {
        spare.exited = true;
        this.#procs.delete(n);
        onExit();
      },
    };
    this.#procs.set(n, spare);
    this.#spares.push(spare);
    this.#launcher.stdin!.write(`spawn ${n}\n`);
  }

  /** Resolves once `count` spares are warm. */
  async warmUp(count: number, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#spares.filter((s) => s.warm).length < count && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
  }

  /** Start a member: a warm spare (else the oldest) joins as `config.label`; a new spare warms up. */
  start(config: SoakMemberConfig): MemberHandle {
    const i = Math.max(
      0,
      this.#spares.findIndex((s) => s.warm),
    );
    const p = this.#spares.splice(i, 1)[0]!;
    p.label = config.label;
    this.#spawn();
    this.#launcher.stdin!.write(`start ${p.n} ${JSON.stringify(config)}\n`);
    const signal = async (sig: NodeJS.Signals): Promise<void> => {
      // The pid arrives right after the spawn; a member with no pid yet cannot have joined.
      while (p.pid === undefined && !p.exited) await new Promise((r) => setTimeout(r, 10));
      if (!p.exited && p.pid !== undefined) {
        try {
          process.kill(p.pid, sig);
        } catch {
          // already gone
        }
      }
    };
    return {
      label: config.label,
      async stop() {
        await signal('SIGTERM');
        const timer = setTimeout(() => void signal('SIGKILL'), STOP_GRACE_MS);
        await p.exit;
        clearTimeout(timer);
      },
      async kill() {
        await signal('SIGKILL');
        await p.exit;
      },
    };
  }

  /** Kill the spares and anything left, and the launcher. */
  close(): void {
    this.#launcher.stdin!.end('close\n');
    this.#spares.length = 0;
  }
}

/** A member in this process, sharing the connector session (the embedded broker). */
export function inProcessMember(
  session: ConnectorSession,
  config: SoakMemberConfig,
  onError: (line: string) => void,
): MemberHandle {
  const started = startSoakMember(session, config);
  started.catch((err: unknown) => onError(`[${config.label}] start failed: ${String(err)}`));
  return {
    label: config.label,
    async stop() {
      const m = await started.catch(() => undefined);
      await m?.stop();
    },
    async kill() {
      const m = await started.catch(() => undefined);
      await m?.kill();
    },
  };
}
