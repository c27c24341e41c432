import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources in tests (the
// `@partita/source` export condition); plain Node (workers, the demo) uses dist.
const conditions = ['@partita/source', 'module', 'node', 'development|production'];
// Tests run in Node, so Node's conditions (not the bundler-only `module`, which
// points the AWS SDK at extensionless ES modules Node cannot load).
const nodeConditions = conditions.filter((c) => c !== 'module');

// `vitest run --coverage` (what `npm test` runs) prints a v8 coverage summary of
// every package, and the per-file table (with uncovered lines) of the code the
// suite must prove: the runtime's partition actor and each connector's
// subscription/consumer code.
// Matched against paths relative to the coverage root (packages/).
const coverageFocus = [
  '(^|/)core/src/partition(/|$)',
  '(^|/)kafka/src/(subscription|commit|intake)(/|$)',
  '(^|/)nats/src/consumer(/|$)',
  '(^|/)rabbitmq/src/consumer(/|$)',
  '(^|/)sqs/src/consumer(/|$)',
  '(^|/)redis/src/(lane|lease)(/|$)',
  '(^|/)memory/src/(transport|group)(/|$)',
];
// @opentelemetry/* packages map the 'module' condition to bundler builds (extensionless imports
// Node cannot load, and Vitest hands its conditions to Node): their tests run in a project without it.
const otelConditions = conditions.filter((c) => c !== 'module');
const otelTests = ['packages/opentelemetry/src/**/*.test.ts', 'test/integration/opentelemetry/**/*.test.ts'];

// Examples that need a real broker (Kafka through the global setup, Redis) run with the integration tests.
const brokerExamples = ['examples/migrate-*/src/**/*.test.ts'];
const focusedTextReporter = fileURLToPath(new URL('./test/reporters/focused-text-reporter.cjs', import.meta.url));

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions: nodeConditions } },
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts'],
      exclude: ['**/*.test.ts', '**/*.test-support.ts', '**/*.fixture.ts', '**/fixtures/**', '**/*.d.ts'],
      reporter: ['text-summary', [focusedTextReporter, { focus: coverageFocus, maxCols: 150 }]],
      reportOnFailure: true,
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'packages/*/src/**/*.test.ts',
            'apps/*/src/**/*.test.ts',
            'tools/*/src/**/*.test.ts',
            'examples/*/src/**/*.test.ts',
            'test/workspace/**/*.test.ts',
          ],
          exclude: ['**/node_modules/**', ...otelTests, ...brokerExamples],
        },
      },
      {
        // Not `extends: true`: Vite concatenates arrays, so the root's conditions would come back.
        resolve: { conditions: otelConditions },
        ssr: { resolve: { conditions: otelConditions } },
        test: {
          name: 'otel',
          hookTimeout: 180_000,
          include: otelTests,
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', ...brokerExamples],
          exclude: ['**/node_modules/**', ...otelTests],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 180_000,
        },
      },
    ],
  },
});
