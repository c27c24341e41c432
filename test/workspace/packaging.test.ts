// The packages as a user gets them: `npm pack` of every package, publint and
// are-the-types-wrong (ESM-only profile) on the tarballs, then the tarballs
// installed into a fresh project outside the workspace (third-party
// dependencies from the registry) where the quick start runs and the testing
// helpers import without Vitest.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const attw = join(root, 'node_modules/.bin/attw');
let dir = '';
let project = '';
let tarballs: { pkg: string; file: string }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'partita-pack-'));
  const pkgs = (await readdir(join(root, 'packages'))).sort();
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--pack-destination', dir, ...pkgs.flatMap((p) => ['-w', `packages/${p}`])],
    { cwd: root, maxBuffer: 64 * 1024 * 1024 },
  );
  const packed = JSON.parse(stdout) as { name: string; filename: string; files: { path: string }[] }[];
  tarballs = packed.map((p) => ({ pkg: p.name, file: join(dir, p.filename) }));
  for (const p of packed) {
    const paths = p.files.map((f) => f.path);
    if (paths.some((f) => f.endsWith('.tsbuildinfo') || /\.test\.(ts|js)$/.test(f)))
      throw new Error(`${p.name}: build info or tests in the tarball`);
    if (!paths.includes('LICENSE')) throw new Error(`${p.name}: no LICENSE in the tarball`);
  }
  project = join(dir, 'app');
  await run('mkdir', ['-p', project]);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs.map((t) => t.file)], {
    cwd: project,
    maxBuffer: 64 * 1024 * 1024,
  });
}, 600_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('published packages', () => {
  it('packs every package, LICENSE in, no build info or tests', () => {
    expect(tarballs.map((t) => t.pkg)).toContain('@partita/core');
    expect(tarballs.length).toBeGreaterThanOrEqual(12);
  });

  it('publint reports nothing on any tarball', async () => {
    const findings: string[] = [];
    for (const t of tarballs) {
      const tarball = new Uint8Array(await readFile(t.file)).buffer; // a copy: exactly the file, not a pooled slab
      const { messages, pkg } = await publint({ pack: { tarball }, level: 'suggestion', strict: true });
      for (const m of messages) findings.push(`${t.pkg}: ${formatMessage(m, pkg) ?? m.code}`);
    }
    expect(findings).toEqual([]);
  }, 120_000);

  it('are-the-types-wrong (ESM-only profile) finds no problem', async () => {
    const failures: string[] = [];
    for (const t of tarballs) {
      try {
        await run(attw, [t.file, '--profile', 'esm-only', '--format', 'ascii'], { maxBuffer: 16 * 1024 * 1024 });
      } catch (err) {
        failures.push(`${t.pkg}:\n${(err as { stdout?: string }).stdout ?? String(err)}`);
      }
    }
    expect(failures).toEqual([]);
  }, 180_000);

  it('the quick start runs in a fresh project from the tarballs', async () => {
    await copyFile(join(root, 'examples/quick-start/dist/main.js'), join(project, 'quick-start.js'));
    const { stdout } = await run(process.execPath, ['quick-start.js'], { cwd: project, timeout: 60_000 });
    expect(stdout).toContain('billed c-42: 12');
    expect(stdout).toContain('dead-lettered c-7: non-retryable');
  }, 90_000);

  it('@partita/http serves its dashboard from the installed package: the page and every module it imports', async () => {
    const script = String.raw`
      import { createConsoleLogger, createApp } from '@partita/core';
      import { createMemoryBroker, memoryTransport } from '@partita/memory';
      import { serve } from '@partita/http';
      const transport = memoryTransport(createMemoryBroker());
      const logger = createConsoleLogger({ level: 'silent' });
      const app = createApp({ transport, handlers: [], logger });
      const server = await serve(app, { port: 0, admin: { transport, token: 'packaging-test-token-0123' } });
      const seen = new Map();
      const queue = ['/'];
      while (queue.length > 0) {
        const path = queue.shift();
        if (seen.has(path)) continue;
        const res = await fetch(server.url + path);
        const text = await res.text();
        seen.set(path, res.status);
        for (const m of text.matchAll(/(?:src|href)="(\/[^"]+)"|from '\.\/([^']+)'/g)) queue.push(m[1] ?? '/dashboard/' + m[2]);
      }
      console.log([...seen].map(([p, s]) => p + ' ' + s).sort().join('\n'));
      await server.close();
    `;
    await writeFile(join(project, 'dashboard.mjs'), script);
    const { stdout } = await run(process.execPath, ['dashboard.mjs'], { cwd: project, timeout: 60_000 });
    const lines = stdout.trim().split('\n');
    expect(lines).toContain('/ 200');
    expect(lines).toContain('/dashboard/dashboard.js 200');
    expect(lines).toContain('/dashboard/lanes-view.js 200');
    expect(lines.filter((l) => !l.endsWith(' 200'))).toEqual([]);
  }, 60_000);

  it('the partita bin runs from the tarball, and its config API builds a transport', async () => {
    const bin = join(project, 'node_modules/.bin/partita');
    const { stdout: version } = await run(bin, ['--version'], { cwd: project });
    expect(version.trim()).toBe('0.1.0');
    const { stdout: help } = await run(bin, ['dlq', 'redrive', '--help'], { cwd: project });
    expect(help).toContain('Usage: partita dlq redrive <topic>');
    await writeFile(join(project, 'partita.config.yaml'), 'transport: memory\nmemory: { partitions: "${P:-3}" }\n');
    const script = [
      "import { createTransportFromConfig, loadConfig } from '@partita/cli';",
      'const t = await createTransportFromConfig(await loadConfig());',
      'console.log(t.name, typeof t.admin.topics);',
      'await t.close();',
    ].join('\n');
    await writeFile(join(project, 'cli-config.mjs'), script);
    const { stdout } = await run(process.execPath, ['cli-config.mjs'], { cwd: project });
    expect(stdout.trim()).toBe('memory function');
  }, 60_000);

  it('one copy of core; the ledger and fault proxy import without Vitest', async () => {
    const script = [
      "import { createLedger, createFaultProxy } from '@partita/testing';",
      "import { createRequire } from 'node:module';",
      'const require = createRequire(import.meta.url);',
      "let vitest = 'absent'; try { require.resolve('vitest'); vitest = 'present'; } catch {}",
      'console.log(typeof createLedger, typeof createFaultProxy, vitest);',
    ].join('\n');
    await writeFile(join(project, 'testing.mjs'), script);
    const { stdout } = await run(process.execPath, ['testing.mjs'], { cwd: project });
    expect(stdout.trim()).toBe('function function absent');
    const { stdout: ls } = await run('npm', ['ls', '@partita/core', '--all', '--parseable'], { cwd: project });
    expect(new Set(ls.trim().split('\n')).size).toBe(1);
  }, 60_000);

  it('a CommonJS project can require() the packages (Node.js ≥ 20.19: require(esm))', async () => {
    const script =
      "const { createApp } = require('@partita/core'); const { memoryTransport } = require('@partita/memory'); console.log(typeof createApp, typeof memoryTransport);";
    await writeFile(join(project, 'cjs.cjs'), script);
    const { stdout } = await run(process.execPath, ['cjs.cjs'], { cwd: project });
    expect(stdout.trim()).toBe('function function');
  }, 60_000);
});
