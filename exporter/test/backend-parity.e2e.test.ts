// The "same /metrics on both backends": every simulator scenario (the bundled ones and
// the round-trips test scenario) runs once with the ledger in SQLite and once in PostgreSQL, and
// the two /metrics texts must be equal once both are synced. The scenarios run side by side.
//
// What is masked, and why (everything else must match byte for byte):
// - process_* and nodejs_* families, *_timestamp_seconds values and collector durations
//   (maskMetrics): they depend on the process and the clock, not on the backend;
// - the `backend` label of ibkr_store_schema_version: it names the backend, that is the point.
// The demo scenario runs without its PnL random walk (pnlTick), whose values depend on how many
// ticks each exporter happened to see, and its two timeline fills are sent once both exporters
// are synced (the timeline would fire at 15 s and 45 s), so both see the same fills in the same
// order; their times are the simulator's clock, masked as timestamps.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Exporter } from '../src/exporter.js';
import { loadScenario } from '../src/sim/scenario.js';
import type { Scenario } from '../src/sim/scenario.js';
import { GatewaySimulator } from '../src/sim/server.js';
import {
  maskMetrics,
  SCENARIOS,
  startTestExporter,
  tempDir,
  testConfig,
  waitSynced,
} from './support/exporter.js';
import type { SyncTarget } from './support/exporter.js';
import { describePostgres, startPostgres } from './support/postgres.js';
import type { PostgresCluster } from './support/postgres.js';

interface Case {
  file: URL;
  /** What the exporter holds once it has synced the scenario's opening state. */
  synced: SyncTarget;
}

const CASES: Record<string, Case> = {
  basic: {
    file: new URL('basic.json', SCENARIOS),
    synced: { positions: 3, pnl: 3, executions: 3, accountValues: 8, accounts: 1 },
  },
  'multi-account': {
    file: new URL('multi-account.json', SCENARIOS),
    synced: { positions: 2, pnl: 2, executions: 3, accountValues: 16, accounts: 2 },
  },
  demo: {
    file: new URL('demo.json', SCENARIOS),
    synced: { positions: 12, pnl: 11, executions: 9, accountValues: 8, accounts: 1 },
  },
  'round-trips': {
    file: new URL('scenarios/round-trips.json', import.meta.url),
    synced: { positions: 4, pnl: 0, executions: 8, accountValues: 2, accounts: 1 },
  },
};

const masked = async (exporter: Exporter) =>
  maskMetrics(await (await fetch(`${exporter.url}/metrics`)).text()).replace(
    /^(ibkr_store_schema_version\{backend=)"(sqlite|postgres)"/m,
    '$1"(backend)"',
  );

describePostgres('the same /metrics on SQLite and PostgreSQL', () => {
  const dir = tempDir('parity');
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster?.destroy();
    dir.cleanup();
  });

  /**
   * A simulator of its own on the scenario, with its live fills held back for the test to send,
   * and an exporter on it, synced; `running` collects both for the test to stop (the tests run
   * concurrently, so each stops only what it started).
   */
  async function run(
    name: string,
    backend: 'sqlite' | 'postgres',
    scenario: Scenario,
    target: SyncTarget,
    running: Array<{ stop(): Promise<void> }>,
  ) {
    const held: Scenario = { ...scenario, pnlTick: undefined, timeline: [] };
    const sim = await GatewaySimulator.start({ scenario: held, port: 0 });
    running.push(sim);
    const env: Record<string, string> =
      backend === 'postgres' ? { IBKR_DATABASE_URL: await cluster.createDatabase() } : {};
    const exporter = await startTestExporter(testConfig(sim.port, dir.file(`${name}-${backend}.db`), env));
    running.push(exporter);
    await waitSynced(exporter, target, 30_000);
    return { sim, exporter };
  }

  it.concurrent.each(Object.keys(CASES))('for the %s scenario', async (name) => {
    const running: Array<{ stop(): Promise<void> }> = [];
    try {
      await compare(name, running);
    } finally {
      for (const r of running.reverse()) await r.stop();
    }
  });

  async function compare(name: string, running: Array<{ stop(): Promise<void> }>): Promise<void> {
    const { file, synced } = CASES[name]!;
    const scenario = await loadScenario(file.pathname);
    const [onSqlite, onPostgres] = await Promise.all([
      run(name, 'sqlite', scenario, synced, running),
      run(name, 'postgres', scenario, synced, running),
    ]);
    const live = scenario.timeline.flatMap((event) => (event.type === 'execution' ? [event.execution] : []));
    for (const [n, execution] of live.entries()) {
      for (const { sim, exporter } of [onSqlite, onPostgres]) {
        sim.addExecution(execution);
        await vi.waitFor(
          () =>
            expect([...exporter.portfolio.executionCounts.values()].reduce((a, b) => a + b, 0)).toBe(
              synced.executions + n + 1,
            ),
          { timeout: 10_000, interval: 20 },
        );
      }
    }
    // Each exporter is on the backend it is meant to be on, and the text holds the ledger's series.
    for (const [{ exporter }, backend] of [
      [onSqlite, 'sqlite'],
      [onPostgres, 'postgres'],
    ] as const) {
      const text = await (await fetch(`${exporter.url}/metrics`)).text();
      expect(text).toMatch(new RegExp(`^ibkr_store_schema_version\\{backend="${backend}"\\} [1-9]`, 'm'));
    }
    expect(await masked(onSqlite.exporter)).toMatch(/^ibkr_account_ledger_realized_pnl\{/m);
    // A commission report may still be on its way into memory: equal once both have settled.
    await vi.waitFor(
      async () => expect(await masked(onPostgres.exporter)).toBe(await masked(onSqlite.exporter)),
      {
        timeout: 10_000,
        interval: 100,
      },
    );
  }
});
