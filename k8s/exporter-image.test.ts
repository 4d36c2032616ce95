// The exporter image (repository root Dockerfile and .dockerignore). No Docker engine here, so
// the structure is checked with dockerfile-ast, and the image's CMD and HEALTHCHECK commands are
// run for real from the checkout with the image's environment.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildContext,
  copiedFiles,
  dockerignoreRules,
  envs,
  flag,
  jsonWords,
  labels,
  ofKeyword,
  parseDockerfile,
  pinnedTag,
  runScripts,
} from '../exporter/test/support/dockerfile.js';
import { ROOT } from './scripts/manifests.js';

const dockerfile = parseDockerfile(join(ROOT, 'Dockerfile'));
const build = dockerfile.stages[0];
const runtime = dockerfile.stages.at(-1);

describe('exporter Dockerfile', () => {
  it('builds in one stage and runs in another, both from a pinned Node LTS image with security fixes', () => {
    expect(dockerfile.stages).toHaveLength(2);
    expect(build?.name).toBe('build');
    // Node 22 (maintenance LTS until April 2027); Node 20 reached its end of life in April 2026.
    for (const stage of dockerfile.stages) expect(pinnedTag(stage.image)).toMatch(/^22\.\d+\.\d+/);
  });

  it('compiles better-sqlite3 and the TypeScript in the build stage, then keeps production dependencies only', () => {
    const scripts = runScripts(build ?? { image: '', name: null, instructions: [] }).join('\n');
    expect(scripts).toMatch(/npm_config_build_from_source=true npm ci/);
    expect(scripts).toMatch(/npm run build[^]*npm prune --omit=dev/);
    expect(scripts).toContain("require('better-sqlite3')");
    expect(scripts).toMatch(/apt-get install[^\n]*g\+\+/);
    // The runtime stage gets the node_modules, not a compiler.
    const copies = ofKeyword(runtime ?? build!, 'COPY');
    for (const built of ['node_modules', 'dist']) {
      expect(
        copies.some(
          (c) => flag(c, 'from') === 'build' && c.getArgumentsContent()?.startsWith(`/app/${built}`),
        ),
      ).toBe(true);
    }
    // The runtime stage has no sources: it runs the compiled JavaScript.
    expect(copies.some((c) => c.getArgumentsContent()?.includes('exporter/src'))).toBe(false);
    expect(runScripts(runtime!).join('\n')).not.toMatch(/apt-get|npm (ci|install)/);
  });

  it('runs as a numeric non-root user with a health check and OCI labels', () => {
    const users = ofKeyword(runtime!, 'USER').map((u) => u.getArgumentsContent());
    expect(users.at(-1)).toBe('1000:1000');
    expect(dockerfile.keywords.lastIndexOf('USER')).toBeGreaterThan(dockerfile.keywords.lastIndexOf('RUN'));
    expect(ofKeyword(runtime!, 'HEALTHCHECK')).toHaveLength(1);
    expect([...labels(runtime!).keys()].sort()).toEqual(
      [
        'org.opencontainers.image.description',
        'org.opencontainers.image.licenses',
        'org.opencontainers.image.revision',
        'org.opencontainers.image.source',
        'org.opencontainers.image.title',
        'org.opencontainers.image.version',
      ].sort(),
    );
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
      license: string;
    };
    expect(dockerfile.args.get('VERSION')).toBe(pkg.version);
    expect(labels(runtime!).get('org.opencontainers.image.licenses')).toBe(pkg.license);
    expect(ofKeyword(runtime!, 'EXPOSE').map((e) => e.getArgumentsContent())).toEqual([
      envs(runtime!).get('IBKR_HTTP_PORT'),
    ]);
  });

  it('sends only the sources to the build context', () => {
    const lines = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'));
    // An allow-list: everything excluded first, then the few inputs re-included.
    expect(lines[0]).toBe('*');
    expect(lines.filter((l) => l.startsWith('!')).sort()).toEqual(
      [
        '!exporter/src/',
        '!package-lock.json',
        '!package.json',
        '!scripts/build.mjs',
        '!tsconfig.build.json',
        '!tsconfig.json',
      ].sort(),
    );
    expect(lines).toContain('exporter/src/**/*.test.ts');
    // Every COPY source of the runtime stage is inside the allow-list.
    const sources = ofKeyword(runtime!, 'COPY')
      .filter((c) => flag(c, 'from') === undefined)
      .flatMap((c) =>
        c
          .getArguments()
          .slice(0, -1)
          .map((a) => a.getValue()),
      )
      .filter((s) => !s.startsWith('--'));
    for (const source of sources) {
      expect(
        lines.some((l) => l.startsWith('!') && source.replace(/\/$/, '') === l.slice(1).replace(/\/$/, '')),
      ).toBe(true);
    }
  });
});

describe('exporter image contents', () => {
  const TEST_LIBRARIES = ['vitest', 'fast-check'];
  // Test support goes by where it lives and what it is called, whatever it imports.
  const TEST_PATH =
    /(^|\/)(test|tests|__tests__|support|test-support|fixtures)\/|\.(test|spec)\.ts$|(^|\/)testing\.ts$/;

  /** The test libraries a TypeScript file imports: only tests and their support use them. */
  function testLibraryImports(file: string): string[] {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"./][^'"]*)['"]/g)].map(
      (m) => m[1]!,
    );
    return specifiers.filter((s) => TEST_LIBRARIES.some((lib) => s === lib || s.startsWith(`${lib}/`)));
  }
  const isTestCode = (file: string) =>
    TEST_PATH.test(file) || (file.endsWith('.ts') && testLibraryImports(file).length > 0);

  it('puts no test code into the image', () => {
    // The test libraries are development dependencies: `npm ci --omit=dev` leaves them out.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    for (const lib of TEST_LIBRARIES) expect(pkg.devDependencies).toHaveProperty(lib);
    // The sources reach the image through the build stage, which compiles them into dist/.
    const image = copiedFiles(build!, buildContext(ROOT));
    expect(image).toContain('exporter/src/main.ts');
    expect(image).toContain('package-lock.json');
    expect(image.filter(isTestCode)).toEqual([]);
  });

  it('would catch test code let into the context', () => {
    // Without its test exclusion, the same .dockerignore sends the unit tests next to the sources.
    const rules = dockerignoreRules(ROOT).filter((rule) => !rule.includes('.test.ts'));
    const leaked = copiedFiles(build!, buildContext(ROOT, rules)).filter(isTestCode);
    expect(leaked).toContain('exporter/src/domain/ledger.test.ts');
    // And a file named like product code that imports the test runner counts as test code.
    expect(testLibraryImports('exporter/test/support/ib-client.ts')).toEqual(['vitest']);
    expect(isTestCode('exporter/src/domain/ledger.ts')).toBe(false);
  });
});

describe('exporter image commands, run from the checkout', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('CMD serves /readyz, HEALTHCHECK passes, and SIGTERM stops it cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exporter-image-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const [command, ...args] = jsonWords(ofKeyword(runtime!, 'CMD')[0]!);
    // Compiled JavaScript (dist/, built by the tests' global setup), no TypeScript loader.
    expect([command, ...args]).toEqual(['node', '--enable-source-maps', 'dist/main.js']);
    // The image's environment, with the ledger in a temporary directory, a free port and no
    // gateway to connect to.
    const env = {
      ...process.env,
      ...Object.fromEntries(envs(runtime!)),
      NODE_ENV: 'production',
      IBKR_DB_PATH: join(dir, 'ibkr.db'),
      IBKR_HTTP_HOST: '127.0.0.1',
      IBKR_HTTP_PORT: '0',
      IBKR_AUTO_SYNC: 'false',
      IBKR_LOG_LEVEL: 'info',
    };
    const child: ChildProcess = spawn(command!, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    cleanups.push(async () => {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`no "exporter listening" line within 20 s:\n${out}`)),
        20_000,
      );
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /"url":"(http:\/\/[^"]+)"/.exec(out);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.on('exit', () => reject(new Error(`exited before listening:\n${out}`)));
    });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    const healthcheck = ofKeyword(runtime!, 'HEALTHCHECK')[0]!;
    const words = healthcheck.getArguments().map((a) => a.getValue());
    const cmdAt = words.indexOf('CMD');
    const probe = JSON.parse(words.slice(cmdAt + 1).join(' ')) as string[];
    const port = new URL(url).port;
    const result = spawnSync(probe[0]!, probe.slice(1), {
      env: { ...env, IBKR_HTTP_PORT: port },
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    // And it fails when nothing answers, so it is not a no-op.
    const down = spawnSync(probe[0]!, probe.slice(1), {
      env: { ...env, IBKR_HTTP_PORT: '1' },
      encoding: 'utf8',
    });
    expect(down.status).toBe(1);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
