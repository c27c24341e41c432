import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

it('bills the good order, dead-letters the bad one and exits', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [main], { timeout: 60_000 });
  expect(stdout).toContain('billed c-42: 12');
  expect(stdout).toContain('invoices published: 1');
  expect(stdout).toContain('dead-lettered c-7: non-retryable');
  expect(stdout).not.toContain('billed c-7');
});
