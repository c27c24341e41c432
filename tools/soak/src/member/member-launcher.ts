// Spawns member processes for the runner (`node dist/member/member-launcher.js`).
// On a busy machine `spawn()` blocks the calling event loop for hundreds of
// milliseconds; here it blocks this small process instead of the runner, whose
// timers pace the churn. Protocol, one line each:
//   runner → launcher: "spawn <n>", "start <n> <config JSON>", "close"
//   launcher → runner: "pid <n> <pid>", "warm <n>", "ready <n>", "exit <n>"
// The runner signals members itself (SIGTERM, SIGKILL) by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const script = join(import.meta.dirname, 'member-main.js');
const members = new Map<string, ChildProcess>();
const say = (line: string): void => void process.stdout.write(line + '\n');

createInterface({ input: process.stdin }).on('line', (line) => {
  const [verb, n, ...rest] = line.split(' ');
  if (verb === 'spawn' && n) {
    const proc = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
    members.set(n, proc);
    proc.stdin.on('error', () => {}); // a killed member's pipe
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (d.includes('warm')) say(`warm ${n}`);
      if (d.includes('ready')) say(`ready ${n}`);
    });
    proc.once('exit', () => {
      members.delete(n);
      say(`exit ${n}`);
    });
    say(`pid ${n} ${proc.pid}`);
  } else if (verb === 'start' && n) {
    members.get(n)?.stdin!.write(`start ${rest.join(' ')}\n`);
  } else if (verb === 'close') {
    for (const p of members.values()) p.kill('SIGKILL');
    process.exit(0);
  }
});
process.stdin.on('end', () => {
  for (const p of members.values()) p.kill('SIGKILL');
  process.exit(0);
});
