// `@partita/testing/vitest`: the conformance kit, which registers Vitest tests
// (`describe`/`it`) and so needs Vitest. The ledger, the fault proxy and the
// other helpers (`@partita/testing`) import without it.
export { conformanceSuite, conformanceScenarios, runConformanceScenario } from './conformance/conformance-suite.js';
export { featuresOf } from './conformance/conformance-options.js';
export type { ConformanceOptions, ConformanceFeatures, TransportContext } from './conformance/conformance-options.js';
export type { Scenario } from './conformance/scenario.js';
export type { ScenarioHarness, KitValue } from './conformance/scenario-harness.js';
export { adminConformance, runAdminScenario } from './admin-conformance/admin-conformance.js';
export type { AdminConformanceOptions, AdminTransportFactory } from './admin-conformance/admin-conformance.js';
export { adminScenarios } from './admin-conformance/admin-scenarios.js';
