// Shared by the soak tests: build the member script (child processes run
// dist), run a short soak, print its report, and fail naming every failed check.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { formatSoakResult, runSoak, type SoakOptions, type SoakResult } from '@partita/soak';

const root = join(import.meta.dirname, '..', '..', '..');

/** Bring tools/soak's dist (and what it imports) up to date, incrementally. */
export function buildSoakMembers(): void {
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'tools/soak'], {
    cwd: root,
    stdio: 'inherit',
  });
}

/** The 10-second version of `npm run soak -- <connector>`, at a rate this shared machine drains quickly. */
export async function expectSoakPasses(options: Omit<SoakOptions, 'seconds'>): Promise<SoakResult> {
  const result = await runSoak({
    seconds: 10,
    ratePerSecond: 200,
    drainTimeoutMs: 120_000,
    log: (l) => console.log(l),
    ...options,
  });
  const text = formatSoakResult(result);
  console.log(text);
  expect(
    result.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
    text,
  ).toEqual([]);
  expect(result.membership.killed).toBeGreaterThan(0);
  return result;
}
