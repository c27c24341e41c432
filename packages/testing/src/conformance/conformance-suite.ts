import { beforeAll, describe, it } from 'vitest';
import { brokersRequired, REQUIRE_BROKERS_ENV } from '../availability/broker-availability.js';
import { featuresOf, resolveConformanceOptions } from './conformance-options.js';
import type { ConformanceFeatures, ConformanceOptions, ResolvedConformanceOptions } from './conformance-options.js';
import { ScenarioHarness } from './scenario-harness.js';
import type { Scenario } from './scenario.js';
import { deliveryScenarios } from './scenarios/delivery-scenarios.js';
import { failureScenarios } from './scenarios/failure-scenarios.js';
import { groupScenarios } from './scenarios/group-scenarios.js';
import { lifecycleScenarios } from './scenarios/lifecycle-scenarios.js';

/** Every scenario of the kit, in the order they run. */
export const conformanceScenarios: readonly Scenario[] = [
  ...deliveryScenarios,
  ...groupScenarios,
  ...failureScenarios,
  ...lifecycleScenarios,
];

/** The features of the broker under test: a transport is created, its capabilities read, and closed. */
export async function probeFeatures(resolved: ResolvedConformanceOptions): Promise<ConformanceFeatures> {
  const transport = await resolved.createTransport({ label: 'capabilities' });
  try {
    return featuresOf(transport.capabilities, resolved);
  } finally {
    await transport.close();
  }
}

/**
 * Run one scenario outside `conformanceSuite` (in your own `it`), with the
 * same harness and cleanup. Resolves when it passed, rejects with the
 * assertion or timeout that failed. The availability check is not run.
 */
export async function runConformanceScenario(scenario: Scenario | string, options: ConformanceOptions): Promise<void> {
  const resolved = resolveConformanceOptions(options);
  const found = typeof scenario === 'string' ? conformanceScenarios.find((s) => s.name === scenario) : scenario;
  if (!found)
    throw new TypeError(
      `runConformanceScenario: no scenario named ${JSON.stringify(scenario)}; see conformanceScenarios`,
    );
  const h = new ScenarioHarness(resolved, await probeFeatures(resolved));
  try {
    await found.run(h);
  } finally {
    await h.cleanup();
  }
}

/**
 * Register the conformance suite with vitest: one `describe` named after the
 * connector, one `it` per scenario. Call it at the top level of a test file.
 *
 * - Scenarios needing what the broker lacks (read from `transport.capabilities`,
 *   see `featuresOf`) are skipped, naming what they need.
 * - `available()` runs once before the scenarios; when it reports the broker
 *   unreachable, every scenario is skipped with the reason printed, or the
 *   suite fails when env `PARTITA_REQUIRE_BROKERS=1`.
 * - Each scenario gets its own unique topics, groups, apps and transports,
 *   and stops/closes all of them afterwards, also on failure. When a scenario
 *   fails, the apps' captured warn/error logs are printed.
 */
export function conformanceSuite(options: ConformanceOptions): void {
  const resolved = resolveConformanceOptions(options);
  registerScenarios(`conformance: ${resolved.name}`, resolved, conformanceScenarios);
}

/**
 * One `describe` titled `title` with one `it` per scenario: the availability
 * check once, capability skips, a fresh harness per scenario (cleaned up also
 * on failure), the apps' logs printed when a scenario fails. Shared by
 * `conformanceSuite` and `adminConformance`.
 */
export function registerScenarios(
  title: string,
  resolved: ResolvedConformanceOptions,
  scenarios: readonly Scenario[],
): void {
  describe(title, () => {
    let unavailable: string | undefined;
    let features: ConformanceFeatures | undefined;
    beforeAll(async () => {
      let verdict: boolean | string;
      try {
        verdict = await resolved.available();
      } catch (err) {
        verdict = `availability check failed: ${(err as Error)?.message ?? String(err)}`;
      }
      if (verdict === true) {
        features = await probeFeatures(resolved);
        return;
      }
      const reason = typeof verdict === 'string' && verdict !== '' ? verdict : 'broker unreachable';
      if (brokersRequired())
        throw new Error(`${title}: ${reason} (${REQUIRE_BROKERS_ENV} is set, so this fails instead of skipping)`);
      unavailable = reason;
      console.warn(`${title}: skipped, ${reason} (set ${REQUIRE_BROKERS_ENV}=1 to fail instead)`);
    }, resolved.testTimeoutMs);

    for (const scenario of scenarios) {
      it(
        scenario.name,
        async (ctx) => {
          if (unavailable !== undefined || features === undefined) return ctx.skip(unavailable);
          const missing = (scenario.requires ?? []).filter((f) => !features![f]);
          if (missing.length > 0) return ctx.skip(`needs ${missing.join(', ')}`);
          const h = new ScenarioHarness(resolved, features);
          ctx.onTestFailed(() => {
            const logs = h.formatLogs();
            if (logs) console.error(`${title}: "${scenario.name}" failed; last app logs:\n${logs}`);
          });
          try {
            await scenario.run(h);
          } finally {
            await h.cleanup();
          }
        },
        resolved.testTimeoutMs,
      );
    }
  });
}
