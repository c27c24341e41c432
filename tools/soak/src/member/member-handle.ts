import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
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
const script = join(import.meta.dirname, '..', '..', 'dist', 'member', 'member-main.js');

/**
 * Member processes (`dist/member/member-main.js`, built JS), spawned ahead of
 * time: a few processes are kept warm (Node started, modules loaded), so
 * starting a member means joining the group, not paying a Node start-up
 * (seconds on a busy machine) while the churn goes on.
 */
export class MemberProcesses {
  readonly #spares: { proc: ChildProcess; warm: boolean }[] = [];
  readonly #all = new Set<ChildProcess>();

  constructor(
    private readonly env: Readonly<Record<string, string>>,
    private readonly onError: (line: string) => void,
    private readonly spares: number,
  ) {
    for (let i = 0; i < spares; i++) this.#spawn();
  }

  #spawn(): void {
    const proc = spawn(process.execPath, [script], { env: { ...process.env, ...this.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const spare = { proc, warm: false };
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      if (d.includes('warm')) spare.warm = true;
    });
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => this.onError(d.trimEnd()));
    proc.stdin!.on('error', () => {}); // a killed member's pipe
    this.#all.add(proc);
    proc.once('exit', () => this.#all.delete(proc));
    this.#spares.push(spare);
  }

  /** Resolves once every spare is warm. */
  async warmUp(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#spares.some((s) => !s.warm) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  /** Start a member: a warm spare (else the oldest) joins as `config.label`; a new spare warms up. */
  start(config: SoakMemberConfig): MemberHandle {
    const i = Math.max(0, this.#spares.findIndex((s) => s.warm));
    const proc = this.#spares.splice(i, 1)[0]!.proc;
    this.#spawn();
    proc.stdin!.write(`start ${JSON.stringify(config)}\n`);
    const exited = new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve();
      else proc.once('exit', () => resolve());
    });
    return {
      label: config.label,
      async stop() {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      },
      async kill() {
        proc.kill('SIGKILL');
        await exited;
      },
    };
  }

  /** Kill the spares and anything left. */
  close(): void {
    for (const p of this.#all) p.kill('SIGKILL');
    this.#spares.length = 0;
  }
}

/** A member in this process, sharing the connector session (the embedded broker). */
export function inProcessMember(session: ConnectorSession, config: SoakMemberConfig, onError: (line: string) => void): MemberHandle {
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
