import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/**
 * Run the demo; with `interrupt`, once it reported progress (it is running, handlers installed),
 * call `whileRunning` with the dashboard URL it printed, then send SIGINT.
 */
function runDemo(
  orders: number,
  interrupt?: (dashboard: string) => Promise<void>,
): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, DEMO_ORDERS: String(orders), DEMO_PORT: '0', PARTITA_ADMIN_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let interrupted = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      if (interrupt && !interrupted && d.toString().includes('handled')) {
        interrupted = true;
        const url = /dashboard at (http:\/\/\S+\/) /.exec(stdout)?.[1] ?? '';
        void interrupt(url)
          .catch((err: unknown) => (stdout += `\nwhileRunning failed: ${String(err)}`))
          .finally(() => child.kill('SIGINT'));
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

  it('serves the dashboard and its admin API while it runs (read-only without a token); drains and exits 0 on Ctrl-C', async () => {
    const seen: string[] = [];
    const { code, stdout } = await runDemo(1_000_000, async (url) => {
      const page = await fetch(url);
      seen.push(`page ${page.status} ${(await page.text()).includes('partita dashboard')}`);
      const app = (await (await fetch(`${url}api/app`)).json()) as { state: string; lanes: unknown[] };
      seen.push(`app ${app.state} ${app.lanes.length > 0}`);
      const pause = await fetch(`${url}api/lanes/pause`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ handler: 'validate' }),
      });
      seen.push(`pause ${pause.status}`);
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /partita demo: dashboard at http:\/\/127\.0\.0\.1:\d+\/ \(read-only: set PARTITA_ADMIN_TOKEN/,
    );
    expect(seen).toEqual(['page 200 true', 'app running true', 'pause 401']);
    expect(stdout).toContain('interrupted (Ctrl-C): drained and stopped');
  }, 120_000);
});
