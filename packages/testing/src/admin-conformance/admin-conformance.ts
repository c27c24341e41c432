import type { ConformanceOptions, TransportContext } from '../conformance/conformance-options.js';
import { resolveConformanceOptions } from '../conformance/conformance-options.js';
import { probeFeatures, registerScenarios } from '../conformance/conformance-suite.js';
import { ScenarioHarness } from '../conformance/scenario-harness.js';
import type { Scenario } from '../conformance/scenario.js';
import type { AdminKitTransport } from './admin-backlog.js';
import { adminScenarios } from './admin-scenarios.js';

/** A fresh transport with `admin` per call (per app, and one for the admin calls). */
export type AdminTransportFactory = (ctx: TransportContext) => AdminKitTransport | Promise<AdminKitTransport>;

/** Options of `adminConformance`: the conformance kit's, where they apply. */
export type AdminConformanceOptions = Pick<
  ConformanceOptions,
  'available' | 'prepareTopics' | 'cleanupTopics' | 'waitTimeoutMs' | 'testTimeoutMs' | 'drainTimeoutMs'
>;

function resolve(name: string, createTransport: AdminTransportFactory, options: AdminConformanceOptions) {
  return resolveConformanceOptions({ ...options, name, createTransport });
}

/**
 * Register the admin conformance suite (core's `TransportAdmin`, as
 * `transport.admin`) with vitest: one `describe` (`admin conformance: <name>`),
 * one `it` per scenario of {@link adminScenarios}. Call it at the top level of
 * a test file. Each scenario uses fresh topics and groups, a transport per
 * app and one for the admin calls, all closed afterwards; `available`,
 * `prepareTopics` and `cleanupTopics` work as in `conformanceSuite`.
 */
export function adminConformance(
  name: string,
  createTransport: AdminTransportFactory,
  options: AdminConformanceOptions = {},
): void {
  const resolved = resolve(name, createTransport, options);
  registerScenarios(`admin conformance: ${resolved.name}`, resolved, adminScenarios);
}

/** Run one admin scenario inside your own test; resolves when it passed, rejects with what failed. */
export async function runAdminScenario(
  scenario: Scenario | string,
  name: string,
  createTransport: AdminTransportFactory,
  options: AdminConformanceOptions = {},
): Promise<void> {
  const found = typeof scenario === 'string' ? adminScenarios.find((s) => s.name === scenario) : scenario;
  if (!found)
    throw new TypeError(`runAdminScenario: no scenario named ${JSON.stringify(scenario)}; see adminScenarios`);
  const resolved = resolve(name, createTransport, options);
  const h = new ScenarioHarness(resolved, await probeFeatures(resolved));
  try {
    await found.run(h);
  } finally {
    await h.cleanup();
  }
}
