import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { conformanceScenarios, runConformanceScenario } from './conformance-suite.js';
import { featuresOf, resolveConformanceOptions } from './conformance-options.js';

const createTransport = () => {
  throw new Error('not used');
};

describe('resolveConformanceOptions', () => {
  it('fills in defaults', () => {
    const r = resolveConformanceOptions({ name: 'x', createTransport });
    expect(r).toMatchObject({
      rebalanceDuplicates: false,
      proxyTarget: undefined,
      waitTimeoutMs: 120_000,
      testTimeoutMs: 240_000,
      bulkMessages: 10_000,
      drainTimeoutMs: 5_000,
    });
  });

  it('derives the features from the capabilities: one set of flags', () => {
    const caps = {
      ackModel: 'message',
      partitions: false,
      consumerGroups: true,
      nativeDelay: false,
      priority: false,
      ttl: false,
      replay: true,
    } as const;
    expect(featuresOf(caps, { proxyTarget: undefined })).toEqual({
      consumerGroups: true,
      replay: true,
      delayedRetry: false,
      partitions: false,
      reconnect: false,
    });
    expect(
      featuresOf({ ...caps, nativeDelay: true, partitions: true }, { proxyTarget: { host: 'h', port: 1 } }),
    ).toMatchObject({ delayedRetry: true, partitions: true, reconnect: true });
  });

  it('rejects bad options with messages that name the option', () => {
    expect(() => resolveConformanceOptions({ name: '', createTransport })).toThrow(/options.name/);
    expect(() => resolveConformanceOptions({ name: 'x' } as never)).toThrow(/options.createTransport/);
    expect(() =>
      resolveConformanceOptions({ name: 'x', createTransport, features: { reconnect: false } } as never),
    ).toThrow(/options.features is gone/);
    expect(() => resolveConformanceOptions({ name: 'x', createTransport, rebalanceDuplicates: 'no' as never })).toThrow(
      /options.rebalanceDuplicates must be a boolean/,
    );
    expect(() => resolveConformanceOptions({ name: 'x', createTransport, waitTimeoutMs: 0 })).toThrow(RangeError);
    expect(() =>
      resolveConformanceOptions({ name: 'x', createTransport, proxyTarget: { host: 'h', port: 0 } }),
    ).toThrow(/proxyTarget/);
    expect(() => resolveConformanceOptions({ name: 'x', createTransport, available: 1 as never })).toThrow(
      /options.available/,
    );
  });
});

describe('conformanceScenarios', () => {
  it('covers every scenario of the brief, with unique names', () => {
    const names = conformanceScenarios.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toHaveLength(14);
    const requires = Object.fromEntries(conformanceScenarios.map((s) => [s.name, s.requires ?? []]));
    expect(Object.values(requires).flat().sort()).toEqual([
      'consumerGroups',
      'consumerGroups',
      'delayedRetry',
      'reconnect',
      'replay',
    ]);
  });

  it('runConformanceScenario rejects an unknown scenario name', async () => {
    await expect(runConformanceScenario('no such scenario', { name: 'x', createTransport })).rejects.toThrow(
      /no scenario named/,
    );
  });
});

describe('conformanceSuite with an unreachable broker', () => {
  const vitestBin = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
  const config = fileURLToPath(new URL('./fixtures/vitest.fixture.config.ts', import.meta.url));
  const run = (env: Record<string, string | undefined>) =>
    spawnSync(process.execPath, [vitestBin, 'run', '--config', config], {
      env: { ...process.env, ...env, CI: '1', NO_COLOR: '1', FORCE_COLOR: '0' },
      encoding: 'utf8',
      timeout: 120_000,
    });

  it('skips every scenario with the reason printed', () => {
    const r = run({ PARTITA_REQUIRE_BROKERS: undefined });
    const out = r.stdout + r.stderr;
    expect(r.status, out).toBe(0);
    expect(out).toContain('fixture broker is switched off');
    expect(out).toMatch(/14 skipped/);
  });

  it.each(['1', 'true'])('fails instead when PARTITA_REQUIRE_BROKERS=%s', (value) => {
    const r = run({ PARTITA_REQUIRE_BROKERS: value });
    const out = r.stdout + r.stderr;
    expect(r.status, out).not.toBe(0);
    expect(out).toContain('PARTITA_REQUIRE_BROKERS is set, so this fails instead of skipping');
  });
});
