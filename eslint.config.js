// @ts-check
import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The dependency rules of docs/architecture.md, per folder of exporter/src. Tests beside the code
// are exempt: they drive the real client, open real databases and start the simulator.
const SRC = 'exporter/src';
const SRC_DIR = new URL(`./${SRC}/`, import.meta.url);
// Every folder, read from disk: a new one gets the library rules without anyone remembering to.
const FOLDERS = readdirSync(SRC_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

/** Each outside library has one home folder. */
const HOMES = [
  {
    libraries: ['@stoqey/ib'],
    home: 'ib',
    why: 'only ib/ talks to @stoqey/ib; the rest of the exporter sees the domain records ib/ emits',
  },
  {
    libraries: ['better-sqlite3', 'pg'],
    home: 'store',
    why: 'only store/ touches a database; use the Store and OrderStore interfaces',
  },
  {
    libraries: ['express', 'ws'],
    home: 'http',
    why: 'only http/ speaks HTTP; a service throws typed errors and the routes turn them into statuses',
  },
  {
    libraries: ['fast-xml-parser'],
    home: 'flex',
    why: 'only flex/ parses Flex XML; use parseFlexStatement (the simulator writes its XML on its own)',
  },
];

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const ENV_MESSAGE = 'only main.ts and cli/ read the environment; pass a Config';

/**
 * The complete no-restricted-imports options of one folder (undefined: the root files). A later
 * flat-config block replaces a rule's options rather than adding to them, so each is whole.
 */
function importRules(folder, { readsEnv = false } = {}) {
  const patterns = HOMES.filter(({ home }) => home !== folder).map(({ libraries, why }) => ({
    regex: `^(${libraries.map(escape).join('|')})(/|$)`,
    message: why,
  }));
  if (folder !== 'cli' && folder !== 'sim') {
    patterns.push({
      regex: '(^|/)sim(/|$)',
      message: 'the simulator is imported only by cli/ and tests: the exporter never depends on it',
    });
  }
  if (folder === 'domain') {
    patterns.push({
      // Only siblings (./x.js) and the decimal library: no node:, no logger, no other layer.
      regex: '^(?!\\./|big\\.js$)',
      message: 'domain/ is pure: it imports only itself and big.js',
    });
  }
  const paths = readsEnv
    ? []
    : ['node:process', 'process'].map((name) => ({ name, importNames: ['env'], message: ENV_MESSAGE }));
  return ['error', { paths, patterns }];
}

const processEnv = ['error', { object: 'process', property: 'env', message: ENV_MESSAGE }];

const dependencyRules = [
  ...FOLDERS.map((folder) => ({
    files: [`${SRC}/${folder}/**/*.ts`],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': importRules(folder, { readsEnv: folder === 'cli' }),
      'no-restricted-properties': folder === 'cli' ? 'off' : processEnv,
    },
  })),
  {
    // The composition root wires every layer, but the libraries keep their homes.
    files: [`${SRC}/*.ts`],
    ignores: [`${SRC}/main.ts`],
    rules: { 'no-restricted-imports': importRules(undefined), 'no-restricted-properties': processEnv },
  },
  {
    files: [`${SRC}/main.ts`],
    rules: { 'no-restricted-imports': importRules(undefined, { readsEnv: true }) },
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'coverage/', '.scratch/', 'bench/results.json'] },
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
  ...dependencyRules,
);
