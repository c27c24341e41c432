import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

it('converts, retries, dead-letters the unknown currency, then redrives it: every payment converted once', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [main], { timeout: 60_000 });
  // 300 payments, a quarter in CHF (unknown until the redrive).
  expect(stdout).toMatch(/1\) 300 payments: 225 converted, [1-9]\d* retries, 75 dead-lettered/);
  expect(stdout).toContain('dead letters by reason: {"non-retryable":75}');
  expect(stdout).toContain('2) CHF rate added; redrove 75 dead letters to group "convert"');
  expect(stdout).toContain('3) payments.eur holds 300 conversions for 300 payments; dead letters left: 0');
});
