// ESLint flat config (`npm run lint` runs it, then `prettier --check .`).
//
// - TypeScript (sources and tests): typescript-eslint's type-checked rules. Types come
//   from the TypeScript project service: package sources from each package's
//   tsconfig.json, tests and other files no package builds from tsconfig.test.json
//   (referenced by the root tsconfig.json).
// - Plain JS scripts and fixtures (.js, .mjs, .cjs): ESLint's recommended rules, untyped.
// - eslint-config-prettier last: Prettier owns layout, no rule here fights it.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const testFiles = [
  '**/*.test.ts',
  '**/*.test-support.ts',
  '**/*.fixture.ts',
  '**/fixtures/**',
  '**/test-fixtures/**',
  'test/**',
];

export default defineConfig(
  {
    ignores: [
      '**/dist/',
      '**/coverage/',
      '**/node_modules/',
      '.nx/',
      '.cache/',
      'tmp/',
      'tools/bench/results/',
      'tools/kafka/.cache/',
      '**/*.tsbuildinfo',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Both are in recommendedTypeChecked; stated here because the project relies on them:
      // a promise nobody awaits or catches is an error that is lost.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `_name` marks a binding that is deliberately unused (a parameter a signature
      // requires, a key counted by `for…in`, a property dropped by a rest pattern).
      // Re-rejecting a caught error (of type unknown) is how a sync throw becomes a rejection.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // A `let` assigned once but read first by a closure (a callback that may run before
      // the assignment) cannot be a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: testFiles,
    rules: {
      // Test doubles implement the async SPI (publish, commit, health, close…) without
      // awaiting anything: an `async` method that does not await is the plainest fake.
      '@typescript-eslint/require-await': 'off',
      // Vitest's asymmetric matchers (`expect.any(Number)`, `expect.stringContaining(…)`)
      // are typed `any`; placing one in an expected object is an "unsafe assignment".
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // The dashboard's page scripts (ES modules served to the browser by @partita/http).
    files: ['packages/http/assets/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
