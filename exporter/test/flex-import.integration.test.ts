// The test of Flex import: import yesterday and today from a statement, then connect to
// the simulator, which reports today's fills again through the API. Every fill is counted once,
// the API's numbers replace the statement's for today's fills, and each sum says its basis. The
// statement is the simulator's, for exporter/test/scenarios/flex-history.json; the values below
// are worked out by hand from that scenario's description:
// - AAPL: bought 100 (1) and 50 (1) on the 23rd, sold 120 on the 24th (1.2, FIFO +557.4), and
//   today 30 (1): the API's average-cost +278.6 replaces FIFO's +238.4. Realized 836, commissions
//   4.2, four reports, three from Flex: mixed. Flat, as IB says: nothing was carried.
// - AAPL call: bought 2 on the 24th (1.3, Flex) and 1 today (0.65, API): 1.95, held 3.
// - MSFT: bought and sold 40 on the 23rd (1 + 1, +198, Flex), then the live buy of 10 (1, API).
// - SAP: bought and cancelled on the 24th, in the same statement: never stored.
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { importFlexStatement } from '../src/flex/import-statement.js';
import { scenarioStatement } from '../src/sim/flex/statement-from-scenario.js';
import { loadScenario } from '../src/sim/scenario.js';
import { GatewaySimulator } from '../src/sim/server.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { scrape, startTestExporter, testConfig, useRig, valueOf } from './support/exporter.js';

const ACCOUNT = 'DU7000001';
const SCENARIO = new URL('./scenarios/flex-history.json', import.meta.url).pathname;
const [AAPL, CALL, MSFT] = [265598, 712345678, 272093];

describe('a Flex statement imported, then the live session', () => {
  const rig = useRig();

  it('counts every fill once: the API wins for today, the statement keeps the days before', async () => {
    const scenario = await loadScenario(SCENARIO);
    const db = `${rig.dir}/ledger.db`;
    const xml = scenarioStatement(scenario)({ queryId: '1', at: Date.parse('2026-11-25T22:00:00Z') });
    const store = new SqliteStore({ path: db });
    try {
      const imported = await importFlexStatement(store, xml, { managedAccounts: [ACCOUNT], dryRun: false });
      // Six fills of the days before, two of today; the SAP cancellation names no stored fill.
      expect(imported.summary.accounts).toEqual([{ account: ACCOUNT, add: 8, merge: 0, skip: 1, cancel: 0 }]);
    } finally {
      store.close();
    }

    const sim = rig.track(await GatewaySimulator.start({ scenario, port: 0 }));
    const exporter = rig.track(await startTestExporter(testConfig(sim.port, db)));
    await vi.waitFor(
      () => {
        expect(exporter.health.state).toBe('live');
        expect(exporter.portfolio.executionCounts.get(ACCOUNT)).toBe(9);
      },
      { timeout: 15_000, interval: 20 },
    );
    expect(valueOf(await scrape(exporter), 'ibkr_executions_total', { account: ACCOUNT })).toBe(9);

    const ledger = new Database(db, { readonly: true });
    try {
      const all = (sql: string) => ledger.prepare(sql).all();
      expect(all('SELECT source, count(*) AS n FROM executions GROUP BY source ORDER BY source')).toEqual([
        { source: 'api', n: 3 },
        { source: 'flex', n: 6 },
      ]);
      expect(
        all(
          `SELECT con_id, realized_pnl, commissions, reports, flex_reports FROM ledger_totals ORDER BY con_id`,
        ),
      ).toEqual([
        { con_id: AAPL, realized_pnl: '836', commissions: '4.2', reports: 4, flex_reports: 3 },
        { con_id: MSFT, realized_pnl: '198', commissions: '3', reports: 3, flex_reports: 2 },
        { con_id: CALL, realized_pnl: '0', commissions: '1.95', reports: 2, flex_reports: 1 },
      ]);
      expect(
        all(`SELECT con_id, status, quantity, fills, realized_pnl, commissions, basis, opened_before_ledger
             FROM ibkr_round_trips ORDER BY con_id, id`),
      ).toEqual([
        {
          con_id: AAPL,
          status: 'closed',
          quantity: '0',
          fills: 4,
          realized_pnl: '836',
          commissions: '4.2',
          basis: 'mixed',
          opened_before_ledger: 0,
        },
        {
          con_id: MSFT,
          status: 'closed',
          quantity: '0',
          fills: 2,
          realized_pnl: '198',
          commissions: '2',
          basis: 'flex',
          opened_before_ledger: 0,
        },
        {
          con_id: MSFT,
          status: 'open',
          quantity: '10',
          fills: 1,
          realized_pnl: '0',
          commissions: '1',
          basis: 'api',
          opened_before_ledger: 0,
        },
        {
          con_id: CALL,
          status: 'open',
          quantity: '3',
          fills: 2,
          realized_pnl: '0',
          commissions: '1.95',
          basis: 'mixed',
          opened_before_ledger: 0,
        },
      ]);
      const days = all(
        'SELECT day, realized_pnl, commissions, fills, basis FROM ibkr_daily_realized ORDER BY day',
      );
      expect(days).toEqual([
        { day: '2026-11-23', realized_pnl: '198', commissions: '4', fills: 4, basis: 'flex' },
        { day: '2026-11-24', realized_pnl: '557.4', commissions: '2.5', fills: 2, basis: 'flex' },
        { day: '2026-11-25', realized_pnl: '278.6', commissions: '1.65', fills: 2, basis: 'api' },
        // The live MSFT buy is made now, on the day the test runs.
        { day: expect.any(String), realized_pnl: '0', commissions: '1', fills: 1, basis: 'api' },
      ]);
    } finally {
      ledger.close();
    }
  });
});
