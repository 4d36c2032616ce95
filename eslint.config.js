// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'coverage/', '.scratch/', 'bench/results.json'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    // CLIs talk to a human on the terminal; everything else logs through pino.
    files: ['exporter/src/cli/**/*.ts', 'bench/**/*.ts', '{grafana,prometheus,k8s}/scripts/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // Tests may print what they measured (detection and alert latencies) next to their verdict.
    files: ['**/*.test.ts'],
    rules: { 'no-console': ['error', { allow: ['info'] }] },
  },
);
