import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

// Throughput is printed, not asserted (benchmarks are not tests): the test checks the
// run completes under both orderings with per-key order intact.
it('runs the workload under partition and key order, per-key order intact', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [main], {
    timeout: 120_000,
    env: { ...process.env, EXAMPLE_MESSAGES: '400' },
  });
  expect(stdout).toContain('400 messages, 200 keys, 4 partitions');
  expect(stdout).toMatch(/partition order\s*│\s*'[\d,]+'\s*│\s*0\s/);
  expect(stdout).toMatch(/key order\s*│\s*'[\d,]+'\s*│\s*0\s/);
  expect(stdout).toMatch(/key order ran \d+\.\dx the throughput of partition order/);
  expect(stdout).toContain('per-key order held in both runs');
}, 150_000);
