// Every realized number labelled with its basis, end to end: the simulator's Flex statement of
// exporter/test/scenarios/flex-history.json imported into a SQLite ledger, then the live session,
// then /metrics and the JSON API read; and the same with one setting, the exporter fetching the
// statement from the simulator's Flex Web Service itself after its live session began. The numbers are flex-import.integration.test.ts's, worked
// out by hand there; here each one's basis:
// - AAPL: FIFO +557.4 from the statement and today's +278.6 from the API (it replaced the
//   statement's +238.4): 836 over four reports, three from Flex, so mixed. IB reports it flat.
// - MSFT: the closed round trip of the 23rd is the statement's alone (+198, flex); the live buy
//   opens an API round trip (api, its realized PnL a known 0).
// - AAPL call: bought 2 from the statement, 1 today from the API: mixed, realized 0.
// The account's ledger is mixed (1034), and reqPnL's realized (278.6) has no basis label.
import { describe, expect, it, vi } from 'vitest';
import { importFlexStatement } from '../src/flex/import-statement.js';
import { scenarioStatement } from '../src/sim/flex/statement-from-scenario.js';
import { loadScenario } from '../src/sim/scenario.js';
import { startFlexService } from '../src/sim/flex/server.js';
import { GatewaySimulator } from '../src/sim/server.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { Exporter } from '../src/exporter.js';
import { scrape, startTestExporter, testConfig, useRig, valueOf } from './support/exporter.js';

const ACCOUNT = 'DU7000001';
const SCENARIO = new URL('./scenarios/flex-history.json', import.meta.url).pathname;
const [AAPL, CALL, MSFT] = ['265598', '712345678', '272093'];
const TOKEN = '881234567890123456789012';
const QUERY = '912345';

type Row = Record<string, unknown>;
const list = async (exporter: Exporter, path: string): Promise<Row[]> =>
  (await (await fetch(`${exporter.url}${path}`)).json()) as Row[];

describe('the basis of every realized number after a Flex import and a live session', () => {
  const rig = useRig();

  it('labels /metrics and the JSON API api, flex or mixed as the reports behind each sum', async () => {
    const scenario = await loadScenario(SCENARIO);
    const db = `${rig.dir}/ledger.db`;
    const xml = scenarioStatement(scenario)({ queryId: '1', at: Date.parse('2026-11-25T22:00:00Z') });
    const store = new SqliteStore({ path: db });
    try {
      await importFlexStatement(store, xml, { managedAccounts: [ACCOUNT], dryRun: false });
    } finally {
      store.close();
    }
    const sim = rig.track(await GatewaySimulator.start({ scenario, port: 0 }));
    const exporter = rig.track(await startTestExporter(testConfig(sim.port, db)));
    await waitImported(exporter);
    await checkBasis(exporter);
  });

  it('gives the same after one setting: the exporter fetches the statement from the Flex Web Service', async () => {
    const scenario = await loadScenario(SCENARIO);
    const sim = rig.track(await GatewaySimulator.start({ scenario, port: 0 }));
    const flex = await startFlexService({
      token: TOKEN,
      queryId: QUERY,
      statementXml: scenarioStatement(scenario),
      mode: 'slow',
    });
    rig.track({ stop: () => flex.close() });
    const exporter = rig.track(
      await startTestExporter(
        testConfig(sim.port, `${rig.dir}/fetched.db`, {
          IBKR_FLEX_TOKEN: TOKEN,
          IBKR_FLEX_QUERY_ID: QUERY,
          IBKR_FLEX_URL: flex.url,
        }),
      ),
    );
    // The live session comes first here: the statement's copies of today's fills are skipped.
    await vi.waitFor(
      async () =>
        expect(valueOf(await scrape(exporter), 'ibkr_flex_last_success_timestamp_seconds')).toBeGreaterThan(
          0,
        ),
      { timeout: 30_000, interval: 50 },
    );
    await waitImported(exporter);
    await checkBasis(exporter);
    const samples = await scrape(exporter);
    const outcome = (o: string) => valueOf(samples, 'ibkr_flex_imported_fills_total', { outcome: o }) ?? NaN;
    // The statement: 7 fills of history, the cancellation of one of them (SAP, so neither is a
    // fill), and today's 2 fills: 9 outcomes. The 6 standing fills of history are new to the
    // ledger; today's 2 are skipped or completed, or added and then replaced by the API's, as the
    // run meets the backfill; the cancellation names no stored fill. Nine fills stand either way.
    expect(['add', 'merge', 'skip', 'cancel'].reduce((n, o) => n + outcome(o), 0)).toBe(9);
    expect(outcome('add')).toBeGreaterThanOrEqual(6);
    expect(outcome('cancel')).toBe(0);
    expect(flex.requests.some((r) => r.path.endsWith('/GetStatement'))).toBe(true);
  });
});

async function waitImported(exporter: Exporter): Promise<void> {
  await vi.waitFor(
    () => {
      expect(exporter.health.state).toBe('live');
      expect(exporter.portfolio.executionCounts.get(ACCOUNT)).toBe(9);
    },
    { timeout: 15_000, interval: 20 },
  );
}

async function checkBasis(exporter: Exporter): Promise<void> {
  // MSFT has per-position series once IB reports the live buy.
  await vi.waitFor(async () => {
    const m = await scrape(exporter);
    expect(m.some((s) => s.name === 'ibkr_position_quantity' && s.labels.con_id === MSFT)).toBe(true);
  });
  const samples = await scrape(exporter);
  const series = (name: string) =>
    samples
      .filter((s) => s.name === name)
      .map((s) => [s.labels.con_id ?? s.labels.account, s.labels.basis, s.value])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  // One series per position and currency, whatever its basis.
  expect(series('ibkr_position_realized_pnl')).toEqual([
    [AAPL, 'mixed', 836],
    [MSFT, 'api', 0],
    [CALL, 'mixed', 0],
  ]);
  // The call's total: 0 realized (mixed) + IB's 108.05 unrealized. AAPL is flat: no unrealized.
  expect(series('ibkr_position_total_pnl')).toEqual(expect.arrayContaining([[CALL, 'mixed', 108.05]]));
  expect(series('ibkr_account_ledger_realized_pnl')).toEqual([[ACCOUNT, 'mixed', 1034]]);
  expect(series('ibkr_account_realized_pnl')).toEqual([[ACCOUNT, undefined, 278.6]]);
  expect(series('ibkr_position_commissions').every(([, basis]) => basis === undefined)).toBe(true);

  const history = await list(exporter, '/positions/history');
  expect(history.map((t) => [String(t.con_id), t.realized_pnl, t.basis])).toEqual([
    [AAPL, 836, 'mixed'],
    [MSFT, 198, 'flex'],
  ]);
  const msft = history.find((t) => String(t.con_id) === MSFT)!;
  expect(
    (await list(exporter, `/positions/${String(msft.id)}/trades`)).map((f) => [
      f.side,
      f.source,
      f.pnl_source,
    ]),
  ).toEqual([
    ['buy', 'flex', null],
    ['sell', 'flex', 'flex'],
  ]);
  const positions = await list(exporter, '/positions');
  expect(positions.map((p) => [String(p.con_id), p.realized_pnl_basis]).sort()).toEqual(
    [
      [AAPL, 'mixed'],
      [CALL, 'mixed'],
      [MSFT, 'api'],
    ].sort(),
  );
  // Today's AAPL sale: the API's execution and report replaced the statement's.
  const trades = await list(exporter, `/trades?symbol=AAPL`);
  const sells = trades.filter((t) => t.side === 'sell' && t.sec_type === 'STK');
  expect(sells.map((t) => [t.realized_pnl, t.source, t.pnl_source])).toEqual([
    [278.6, 'api', 'api'],
    [557.4, 'flex', 'flex'],
  ]);
  const summary = (await (await fetch(`${exporter.url}/pnl/summary`)).json()) as Row;
  expect(summary).toMatchObject({ realized_pnl: 1034, realized_pnl_basis: 'mixed' });
}
