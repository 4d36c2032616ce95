// `npm run build`: compiles exporter/src into dist/ and copies the files the program reads at run
// time (SQL migrations, simulator scenarios) beside the compiled modules that read them.
// `--if-stale` (npm start, npm run demo, the test setup) skips the compiler when nothing the
// build reads changed since the last one, and on a production install, which has no compiler
// and runs the dist/ it was shipped with.
// Plain JavaScript on purpose: it must run where only production dependencies are installed.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
// Every folder of non-TypeScript files the program reads beside its modules.
const ASSETS = ['store/migrations', 'store/postgres-migrations', 'sim/scenarios'];
const ENTRY = join(ROOT, 'dist/main.js');
const STAMP = join(ROOT, 'dist/.built');
const INPUTS = ['exporter/src', 'scripts/build.mjs', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

/** tsc's own entry point, or undefined when typescript (a devDependency) is not installed. */
function findTsc() {
  try {
    return createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    return undefined;
  }
}

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

function upToDate() {
  if (!existsSync(STAMP) || !existsSync(ENTRY)) return false;
  const built = statSync(STAMP).mtimeMs;
  return INPUTS.every((input) => !existsSync(join(ROOT, input)) || newest(join(ROOT, input)) < built);
}

/**
 * Copies the files of `from` that differ, each through a rename, like tsc leaves unchanged
 * outputs alone: a build while a test runs dist/ never shows it a half-written migration.
 */
function copyChanged(from, to) {
  if (!existsSync(from)) return;
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const content = readFileSync(join(from, name));
    const target = join(to, name);
    if (existsSync(target) && readFileSync(target).equals(content)) continue;
    writeFileSync(`${target}.tmp-${process.pid}`, content);
    renameSync(`${target}.tmp-${process.pid}`, target);
  }
}

function build(ifStale) {
  const tsc = findTsc();
  if (tsc === undefined) {
    if (existsSync(ENTRY)) return;
    process.stderr.write(
      'ibkr-pnl-exporter: dist/main.js is missing and typescript is not installed: ' +
        'build on a full install first (npm ci && npm run build)\n',
    );
    process.exit(1);
  }
  if (ifStale && upToDate()) return;
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  for (const asset of ASSETS) copyChanged(join(ROOT, 'exporter/src', asset), join(ROOT, 'dist', asset));
  // When this build finished: --if-stale compares the inputs against it.
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
}

build(process.argv.includes('--if-stale'));
