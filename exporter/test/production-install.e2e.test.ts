// A production install: the compiled dist/ with `npm ci --omit=dev`, as the image has it, in a
// temporary copy of the project. `npm start` and `npm run demo` must run there, with neither
// TypeScript nor tsx nor any other devDependency installed.
//
// Slow (the install is about 30 s here), so it is the one suite that does it. better-sqlite3's
// install script compiles SQLite for two minutes; the install skips scripts and takes the addon
// this checkout already compiled for the same Node and the same better-sqlite3 version.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseMetrics } from './support/metrics-text.js';
import { expectDemoServesAndStops, runNpm, waitForOutput } from './support/npm-process.js';
import type { NpmProcess } from './support/npm-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ADDON = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
// What a production install is given: the build, the manifests, the build script npm start runs
// first, and prometheus/ for the demo's Prometheus.
const SHIPPED = ['package.json', 'package-lock.json', 'scripts/build.mjs', 'dist', 'prometheus'];

describe('production install (npm ci --omit=dev)', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ibkr-production-'));
  const app = join(dir, 'app');
  let proc: NpmProcess | undefined;

  beforeAll(() => {
    for (const path of SHIPPED) cpSync(join(ROOT, path), join(app, path), { recursive: true });
    execFileSync(
      'npm',
      ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'],
      {
        cwd: app,
        stdio: 'pipe',
      },
    );
    cpSync(join(ROOT, ADDON), join(app, ADDON));
  }, 240_000);

  afterAll(() => {
    proc?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has no devDependency installed', () => {
    for (const dev of ['typescript', 'tsx', 'vitest', '@grafana/grafana-foundation-sdk']) {
      expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    }
    expect(existsSync(join(app, 'node_modules/yaml')), 'yaml is a runtime dependency').toBe(true);
  });

  it('npm start serves /metrics from the compiled build and stops on SIGTERM', async () => {
    proc = runNpm(
      'start',
      {
        IBKR_AUTO_SYNC: 'false',
        IBKR_DB_PATH: join(dir, 'start.db'),
        IBKR_HTTP_HOST: '127.0.0.1',
        IBKR_HTTP_PORT: '0',
        IBKR_LOG_LEVEL: 'info',
      },
      app,
    );
    const url = await waitForOutput(proc, /"url":"(http:\/\/[^"]+)"/);
    const samples = parseMetrics(await (await fetch(`${url}/metrics`)).text());
    expect(samples.find((s) => s.name === 'ibkr_exporter_build_info')?.value).toBe(1);
    const exited = once(proc.child, 'exit');
    process.kill(-proc.child.pid!, 'SIGTERM');
    await vi.waitFor(() => expect(proc?.out()).toContain('exporter stopped'), { timeout: 5000 });
    await exited;
  });

  it('npm run demo serves PnL and stops on Ctrl-C', async () => {
    proc = runNpm(
      'demo',
      { IBKR_HTTP_PORT: '0', IBKR_HTTP_HOST: '127.0.0.1', IBKR_DB_PATH: join(dir, 'demo.db') },
      app,
    );
    await expectDemoServesAndStops(proc);
  });
});
