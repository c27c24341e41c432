import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** Run the demo; with `interrupt`, send SIGINT once it reported progress (it is running, handlers installed). */
function runDemo(orders: number, interrupt = false): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, DEMO_ORDERS: String(orders) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let interrupted = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      if (interrupt && !interrupted && d.toString().includes('handled')) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout }));
  });
}

describe.skipIf(!existsSync(main))('demo (npm start)', () => {
  it('runs the pipeline to completion, dead-letters the poison orders and exits 0', async () => {
    const { code, stdout } = await runDemo(2000);
    expect(code).toBe(0);
    expect(stdout).toContain('partita demo: completed');
    expect(stdout).toMatch(/orders published\s*│\s*'2,000 \(\+0 malformed payloads\)'/);
    expect(stdout).toMatch(/non-retryable\s*│\s*2\b/);
    expect(stdout).toMatch(/retries\s*│\s*'80'/);
    expect(stdout).toContain('archive stage, work per worker thread');
    expect(stdout).not.toMatch(/'running|'paused|'blocked/);
  }, 120_000);

  it('drains and exits 0 on Ctrl-C', async () => {
    const { code, stdout } = await runDemo(1_000_000, true);
    expect(code).toBe(0);
    expect(stdout).toContain('interrupted (Ctrl-C): drained and stopped');
  }, 120_000);
});
