/**
 * Dependency rules of docs/design.md §2, checked on the sources (imports) and the
 * manifests (dependencies) of every package:
 * - core imports only xstate and node builtins;
 * - a connector never imports another connector;
 * - testing depends on core only (vitest as a peer);
 * - each package has one public entry, src/index.ts;
 * - no file in a package's src (tests included) is over 400 lines, and the
 *   partition actor stays under 300 (issue 13).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const packagesDir = join(root, 'packages');
const CONNECTORS = ['memory', 'kafka', 'nats', 'rabbitmq', 'redis', 'sqs'];
const MAX_LINES = 400;
const packages = readdirSync(packagesDir).filter((d) => existsSync(join(packagesDir, d, 'package.json')));

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.(ts|mts|js|mjs)$/.test(f) && !/\.test(-support)?\.ts$/.test(f) ? [p] : [];
  });
}

/** Bare package names imported by a file (static, dynamic and re-exports). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  return specs
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

const allowed = (pkg: string, dep: string): boolean => {
  if (pkg === 'core') return dep === 'xstate';
  if (dep.startsWith('@partita/')) {
    const name = dep.slice('@partita/'.length);
    if (pkg === 'testing') return name === 'core';
    if (CONNECTORS.includes(pkg)) return !CONNECTORS.includes(name);
  }
  return true;
};

describe('package boundaries', () => {
  it.each(packages)('%s imports only what the dependency rules allow', (pkg) => {
    const bad = sourceFiles(join(packagesDir, pkg, 'src')).flatMap((f) =>
      importsOf(f)
        .filter((d) => !allowed(pkg, d))
        .map((d) => `${f.slice(root.length + 1)} imports ${d}`),
    );
    expect(bad).toEqual([]);
  });

  it.each(packages)('%s declares only allowed dependencies and has one entry', (pkg) => {
    const manifest = JSON.parse(readFileSync(join(packagesDir, pkg, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      exports?: Record<string, unknown>;
    };
    const bad = Object.keys(manifest.dependencies ?? {}).filter((d) => !allowed(pkg, d));
    expect(bad).toEqual([]);
    expect(existsSync(join(packagesDir, pkg, 'src', 'index.ts'))).toBe(true);
  });

  it.each(packages)(`%s has no source or test file over ${MAX_LINES} lines`, (pkg) => {
    const all = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => {
        const p = join(dir, f);
        if (statSync(p).isDirectory()) return all(p);
        return /\.(ts|mts)$/.test(f) ? [p] : [];
      });
    const long = all(join(packagesDir, pkg, 'src'))
      .map((f) => ({ f: f.slice(root.length + 1), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter((x) => x.lines > MAX_LINES)
      .map((x) => `${x.f}: ${x.lines} lines (split it by concept)`);
    expect(long).toEqual([]);
  });

  it('the partition actor stays a small actor: under 300 lines (its parts live beside it)', () => {
    const actor = join(packagesDir, 'core', 'src', 'partition', 'partition-actor.ts');
    expect(readFileSync(actor, 'utf8').split('\n').length - 1).toBeLessThan(300);
  });

  it('the rule itself rejects a core import of a broker SDK and a connector importing another', () => {
    expect(allowed('core', 'kafkajs')).toBe(false);
    expect(allowed('core', 'piscina')).toBe(false);
    expect(allowed('kafka', '@partita/nats')).toBe(false);
    expect(allowed('kafka', '@partita/core')).toBe(true);
    expect(allowed('testing', '@partita/memory')).toBe(false);
  });
});
