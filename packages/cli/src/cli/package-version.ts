import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `version` of the nearest package.json named `name` at or above `file`, or undefined. */
function versionAbove(file: string, name: string): string | undefined {
  let dir = dirname(file);
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version;
    } catch {
      // no package.json here
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** The version of `@partita/cli` itself. */
export function cliVersion(): string {
  return versionAbove(fileURLToPath(import.meta.url), '@partita/cli') ?? 'unknown';
}

/** The installed version of `pkg` as the CLI resolves it, or undefined when it is not installed. */
export function installedVersion(pkg: string): string | undefined {
  try {
    return versionAbove(createRequire(import.meta.url).resolve(pkg), pkg);
  } catch {
    return undefined;
  }
}
