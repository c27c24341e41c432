import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

// The speed-up is printed, not asserted (benchmarks are not tests; the machine is shared).
it('handles every message inline and on worker threads and prints the speed-up', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [main], {
    timeout: 120_000,
    env: { ...process.env, EXAMPLE_MESSAGES: '30', EXAMPLE_THREADS: '2' },
  });
  expect(stdout).toContain('30 messages, 20,000 SHA-256 rounds each, 2 worker threads');
  expect(stdout).toMatch(/inline\s*│\s*'[\d,]+'/);
  expect(stdout).toMatch(/worker threads\s*│\s*'[\d,]+'/);
  expect(stdout).toMatch(/speed-up on 2 worker threads: \d+\.\d\dx/);
  expect(stdout).toContain('all 30 messages handled in both runs');
}, 150_000);
