import { existsSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@partita/core';

/**
 * The built worker entry (`dist/worker/task-runner.js`). Piscina loads it in
 * plain Node threads, so it must be JavaScript even when this package runs
 * from its TypeScript sources (vitest): a `src` location maps to `dist`.
 */
export function workerEntryPath(): string {
  const here = fileURLToPath(new URL('../worker/task-runner.js', import.meta.url));
  if (existsSync(here)) return here;
  const marker = `${sep}src${sep}`;
  const at = here.lastIndexOf(marker);
  const built = at === -1 ? here : `${here.slice(0, at)}${sep}dist${sep}${here.slice(at + marker.length)}`;
  if (existsSync(built)) return built;
  throw new ConfigError(
    `worker-pool: the worker entry ${built} does not exist; build the package first (npx tsc -b packages/worker-pool)`,
  );
}
