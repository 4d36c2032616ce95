// Shared plumbing for integration tests: a simulator on an ephemeral port, an exporter wired to
// it in-process with a real SQLite file in a temp directory, and a /metrics reader.
import pino from 'pino';
import { afterAll, afterEach, expect, vi } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { STREAMS } from '../../src/domain/types.js';
import type { Config } from '../../src/config/config.js';
import { startExporter } from '../../src/exporter.js';
import type { Exporter } from '../../src/exporter.js';
import { loadScenario } from '../../src/sim/scenario.js';
import { GatewaySimulator } from '../../src/sim/server.js';
import { exporterEnv, tempDir } from './env.js';
import { parseMetrics } from './metrics-text.js';
import type { Sample } from './metrics-text.js';

export const SCENARIOS = new URL('../../src/sim/scenarios/', import.meta.url);

export async function startSim(name: string, port = 0): Promise<GatewaySimulator> {
  const scenario = await loadScenario(new URL(`${name}.json`, SCENARIOS).pathname);
  return GatewaySimulator.start({ scenario, port });
}

export function testConfig(port: number, dbPath: string, env: Record<string, string> = {}): Config {
  return loadConfig(exporterEnv(port, dbPath, env));
}

export async function startTestExporter(config: Config, now?: () => number): Promise<Exporter> {
  return startExporter(config, { logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), now });
}

export { tempDir } from './env.js';
export { parseMetrics } from './metrics-text.js';
export type { Sample } from './metrics-text.js';

export async function scrape(exporter: Exporter): Promise<Sample[]> {
  const response = await fetch(`${exporter.url}/metrics`);
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
  return parseMetrics(await response.text());
}

/** The value of the one sample with this name whose labels include `labels`; undefined if none. */
export function valueOf(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

export interface SyncTarget {
  positions: number;
  pnl: number;
  executions: number;
  accountValues: number;
  accounts: number;
}

/** What the basic scenario holds once synced. */
export const BASIC: SyncTarget = { positions: 3, pnl: 3, executions: 3, accountValues: 8, accounts: 1 };

/** Waits until the exporter holds the whole of a scenario's opening state (or fails at the deadline). */
export async function waitSynced(exporter: Exporter, expected: SyncTarget, timeout = 10_000): Promise<void> {
  await vi.waitFor(
    () => {
      const { portfolio, health } = exporter;
      expect(health.gatewayUp).toBe(true);
      expect(portfolio.positions.size).toBe(expected.positions);
      expect([...portfolio.positions.values()].filter((v) => v.pnl).length).toBe(expected.pnl);
      expect([...portfolio.executionCounts.values()].reduce((a, b) => a + b, 0)).toBe(expected.executions);
      expect(portfolio.accountValues.size).toBe(expected.accountValues);
      expect(portfolio.accountPnl.size).toBe(expected.accounts);
      // Fresh data on every stream since this exporter started, not only state restored from disk.
      for (const stream of STREAMS)
        expect(health.streams.get(stream)).toBeGreaterThanOrEqual(health.startedAt);
    },
    { timeout, interval: 20 },
  );
}

/** Families whose values depend on the process or the clock, not on the scenario. */
const VOLATILE_FAMILY = /^(process_|nodejs_)/;
const VOLATILE_VALUE = /(_timestamp_seconds|^ibkr_exporter_collector_duration_seconds)$/;

/**
 * /metrics text with process metrics dropped and clock-dependent values set to 0, so a golden
 * file can pin everything else.
 */
export function maskMetrics(text: string): string {
  const out: string[] = [];
  for (let line of text.split('\n')) {
    const name = line.startsWith('# ') ? (line.split(' ')[2] ?? '') : (/^[^{ ]+/.exec(line)?.[0] ?? '');
    if (VOLATILE_FAMILY.test(name)) continue;
    // The Node version running the tests is not the scenario's.
    line = line.replace(/nodeversion="[^"]*"/, 'nodeversion="(node)"');
    if (!line.startsWith('#') && VOLATILE_VALUE.test(name)) {
      out.push(line.replace(/ \S+$/, ' 0'));
      continue;
    }
    out.push(line);
  }
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

export interface Rig {
  /** A temporary directory for this file's databases, removed after the file's tests. */
  readonly dir: string;
  /** Stops `running` after the current test (in reverse order of tracking). */
  track<T extends { stop(): Promise<void> }>(running: T): T;
  /** A simulator on `scenario` and an exporter on `<dir>/<db>`, synced, both stopped after the test. */
  start(
    scenario: string,
    db: string,
    options?: { synced?: SyncTarget; now?: () => number },
  ): Promise<{ sim: GatewaySimulator; exporter: Exporter }>;
}

/** Registers the cleanup hooks of a test file that runs simulators and exporters. */
export function useRig(): Rig {
  const dir = tempDir();
  const running: Array<{ stop(): Promise<void> }> = [];
  afterEach(async () => {
    for (const r of running.splice(0).reverse()) await r.stop();
  });
  afterAll(() => dir.cleanup());
  const track = <T extends { stop(): Promise<void> }>(r: T): T => {
    running.push(r);
    return r;
  };
  return {
    dir: dir.path,
    track,
    async start(scenario, db, options = {}) {
      const sim = track(await startSim(scenario));
      const exporter = track(await startTestExporter(testConfig(sim.port, `${dir.path}/${db}`), options.now));
      await waitSynced(exporter, options.synced ?? BASIC);
      return { sim, exporter };
    },
  };
}
