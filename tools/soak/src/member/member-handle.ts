import { spawn } from 'node:child_process';
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

/** A member in a child process running `dist/member/member-main.js` (built JS). */
export function spawnMember(config: SoakMemberConfig, env: Readonly<Record<string, string>>, onError: (line: string) => void): MemberHandle {
  const script = join(import.meta.dirname, '..', '..', 'dist', 'member', 'member-main.js');
  const proc = spawn(process.execPath, [script], {
    env: { ...process.env, ...env, SOAK_MEMBER: JSON.stringify(config) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => onError(`[${config.label}] ${d.trimEnd()}`));
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
