// A golden /metrics for the basic scenario: every metric name, label set and value the exporter
// promises, reviewed in the diff when it changes (`npx vitest -u`), and linted by promtool.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Exporter } from '../src/exporter.js';
import type { GatewaySimulator } from '../src/sim/server.js';
import {
  BASIC,
  maskMetrics,
  startSim,
  startTestExporter,
  tempDir,
  testConfig,
  waitSynced,
} from './support/exporter.js';

const GOLDEN = fileURLToPath(new URL('./golden/basic.prom', import.meta.url));

describe('golden /metrics (basic scenario)', () => {
  let sim: GatewaySimulator;
  let exporter: Exporter;
  const dir = tempDir();
  let text = '';

  beforeAll(async () => {
    sim = await startSim('basic');
    exporter = await startTestExporter(testConfig(sim.port, `${dir.path}/golden.db`));
    await waitSynced(exporter, BASIC);
    text = maskMetrics(await (await fetch(`${exporter.url}/metrics`)).text());
  });

  afterAll(async () => {
    await exporter.stop();
    await sim.stop();
    dir.cleanup();
  });

  it('matches the reviewed golden file', async () => {
    await expect(text).toMatchFileSnapshot(GOLDEN);
  });

  it('passes promtool check metrics', () => {
    const promtool = spawnSync('promtool', ['--version']);
    if (promtool.error)
      throw new Error('promtool is not installed: .ci/run installs Debian package prometheus');
    // promtool reads the exposition on stdin and exits non-zero on any lint problem.
    const output = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(output).toBe('');
  });
});
