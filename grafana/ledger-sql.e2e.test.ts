// The SQL counterpart of prometheus/stack.e2e.test.ts: every panel query and every variable query
// of IBKR / Trades & history runs against a real PostgreSQL holding the ledger of the simulator's
// demo scenario, with Grafana's macros and variables expanded as Grafana expands them, and must
// return rows.
//
// How the ledger gets there: the exporter syncs the demo scenario from the simulator (real
// @stoqey/ib over TCP) straight into a throwaway PostgreSQL (IBKR_DATABASE_URL), as in the compose
// stack. The demo has a closed round trip (JPM), so every round-trip panel has rows.
import pg from 'pg';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { loadScenario } from '../exporter/src/sim/scenario.js';
import { GatewaySimulator } from '../exporter/src/sim/server.js';
import { startTestExporter, tempDir, testConfig } from '../exporter/test/support/exporter.js';
import { describePostgres, startPostgres } from '../exporter/test/support/postgres.js';
import type { PostgresCluster } from '../exporter/test/support/postgres.js';
import { trades, TRADES_SQL, TRADES_VARIABLES } from './src/trades.js';
import type { SqlTarget } from './src/sql.js';

const DEMO = new URL('../exporter/src/sim/scenarios/demo.json', import.meta.url).pathname;
/** A dashboard time range: the demo's day of fills (2026-11-25) up to a day from now. */
const RANGE = { from: new Date('2026-09-01T00:00:00Z'), to: new Date(Date.now() + 86_400_000) };

/**
 * Grafana's PostgreSQL datasource, as it rewrites a raw SQL query before sending it
 * (pkg/tsdb/grafana-postgresql-datasource/macros.go and the SQL variable interpolation):
 * - `$__timeFilter(col)` → `col BETWEEN '<from>' AND '<to>'`, both RFC 3339 UTC;
 * - `$__timeGroup(col, 1d)` → `floor(extract(epoch from col)/86400)*86400` (the interval in
 *   seconds), and `$__timeGroupAlias(col, 1d)` → the same `AS "time"`;
 * - a multi-value variable → its values single-quoted (quotes doubled) and comma-separated,
 *   every value for All when the variable has no custom all value; a text box → its text as is.
 * Only these macros are implemented; any other `$__` left in a query fails the test.
 */
function expandGrafanaSql(sql: string, variables: Record<string, string | string[]>): string {
  const seconds = (interval: string): number => {
    const match = /^(\d+)([smhdw])$/.exec(interval.trim());
    if (!match) throw new Error(`unsupported interval ${interval}`);
    const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[match[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return Number(match[1]) * unit;
  };
  const timeGroup = (column: string, interval: string) => {
    const s = seconds(interval);
    return `floor(extract(epoch from ${column.trim()})/${s})*${s}`;
  };
  let out = sql
    .replace(
      /\$__timeFilter\(([^)]+)\)/g,
      (_m, column: string) =>
        `${column.trim()} BETWEEN '${RANGE.from.toISOString()}' AND '${RANGE.to.toISOString()}'`,
    )
    .replace(
      /\$__timeGroupAlias\(([^,]+),([^)]+)\)/g,
      (_m, c: string, i: string) => `${timeGroup(c, i)} AS "time"`,
    )
    .replace(/\$__timeGroup\(([^,]+),([^)]+)\)/g, (_m, c: string, i: string) => timeGroup(c, i));
  const quote = (value: string) => `'${value.replaceAll("'", "''")}'`;
  for (const [name, value] of Object.entries(variables)) {
    const text = Array.isArray(value) ? value.map(quote).join(',') : value;
    out = out.replaceAll(`\${${name}}`, text).replace(new RegExp(`\\$${name}\\b`, 'g'), text);
  }
  if (/\$__|\$[a-z_]+\b/.test(out)) throw new Error(`unexpanded macro or variable in: ${out}`);
  return out;
}

describePostgres('the Trades & history dashboard on a real PostgreSQL ledger', () => {
  let cluster: PostgresCluster;
  let client: pg.Client;
  const dir = tempDir();

  beforeAll(async () => {
    cluster = await startPostgres();
    const url = await cluster.createDatabase('dashboard');
    // The demo scenario synced into the exporter's PostgreSQL ledger: live means positions and the
    // backfill are in. Its orders would stay in the SQLite file at IBKR_DB_PATH (none here).
    const sim = await GatewaySimulator.start({ scenario: await loadScenario(DEMO), port: 0 });
    const exporter = await startTestExporter(
      testConfig(sim.port, `${dir.path}/orders.db`, { IBKR_DATABASE_URL: url }),
    );
    try {
      await vi.waitFor(
        () => {
          expect(exporter.health.state).toBe('live');
          expect(exporter.portfolio.executionCounts.get('DU1234567')).toBeGreaterThanOrEqual(9);
        },
        { timeout: 20_000, interval: 50 },
      );
    } finally {
      await exporter.stop();
      await sim.stop();
    }
    client = new pg.Client({ connectionString: url });
    await client.connect();
  }, 120_000);

  afterAll(async () => {
    await client?.end();
    await cluster?.destroy();
    dir.cleanup();
  });

  const run = async (sql: string, variables: Record<string, string | string[]>) =>
    (await client.query(expandGrafanaSql(sql, variables))).rows as Array<Record<string, unknown>>;

  /** What the variables hold with All selected: every value their own queries return. */
  async function allValues(): Promise<Record<string, string[]>> {
    const accounts = (await run(TRADES_VARIABLES.account, {})).map((r) => String(r.account));
    const symbols = (await run(TRADES_VARIABLES.symbol, { account: accounts })).map((r) => String(r.symbol));
    return { account: accounts, symbol: symbols };
  }

  it('fills the variables from the ledger', async () => {
    const { account, symbol } = await allValues();
    expect(account).toEqual(['DU1234567']);
    expect(symbol).toEqual(expect.arrayContaining(['JPM', 'NVDA', 'SAP', 'TSLA']));
  });

  it('answers every panel query with rows', async () => {
    const variables = await allValues();
    const [closed] = await run(TRADES_SQL.roundTrips, variables);
    const panels = (trades().panels ?? []).filter((p) => p.type !== 'row');
    expect(panels.length).toBe(Object.keys(TRADES_SQL).length);
    for (const panel of panels) {
      const targets = (panel as { targets?: SqlTarget[] }).targets ?? [];
      expect(targets.length, panel.title).toBeGreaterThan(0);
      for (const target of targets) {
        const rows = await run(target.rawSql, { ...variables, round_trip: String(closed?.['Round trip']) });
        expect(rows.length, `${panel.title}: ${target.rawSql}`).toBeGreaterThan(0);
      }
    }
  });

  it('shows the demo day as worked out from the scenario', async () => {
    const variables = await allValues();
    // JPM: bought 100 at 210 (1 commission), sold 100 at 212.5: IB realized 248 net; a closed round trip.
    const trips = await run(TRADES_SQL.roundTrips, variables);
    const jpm = trips.find((t) => t.Symbol === 'JPM');
    // A ledger the API alone wrote: every realized PnL on IB's average cost.
    expect(jpm).toMatchObject({ Fills: 2, Realized: '248', Commissions: '2', Currency: 'USD', Basis: 'api' });
    const fills = await run(TRADES_SQL.roundTripFills, {
      ...variables,
      round_trip: String(jpm!['Round trip']),
    });
    expect(fills.map((f) => [f.Side, f.Qty, f.Price, f.Commission, f.Realized, f.Basis])).toEqual([
      ['buy', '100', '210', '1', null, 'api'],
      ['sell', '100', '212.5', '1', '248', 'api'],
    ]);
    // Every closed round trip of the demo so far is a win.
    expect(await run(TRADES_SQL.winRate, variables)).toEqual([{ 'Win rate': 1 }]);
    const perDay = await run(TRADES_SQL.realizedPerDay, variables);
    expect(perDay).toContainEqual({
      time: String(Date.parse('2026-11-25T00:00:00Z') / 1000),
      metric: 'Realized USD',
      value: '248',
    });
    // The day's commissions: 4.5 + 3 (EUR) + 0.5 × 3 + 1 + 1.95 + 1 + 1 across the nine fills.
    const commissions = await run(TRADES_SQL.commissionsPerMonth, variables);
    const november = commissions.filter((r) => (r.time as Date).toISOString() === '2026-11-01T00:00:00.000Z');
    expect(november.map((r) => [r.metric, r.value]).sort()).toEqual([
      ['Commissions EUR', '3'],
      ['Commissions USD', '10.95'],
    ]);
    const blotter = await run(TRADES_SQL.blotter, variables);
    expect(blotter.find((t) => t['Exec id'] === '0000f1a2.6744b009.01.01')).toMatchObject({
      Symbol: 'JPM',
      Side: 'sell',
      Qty: '100',
      Realized: '248',
      Basis: 'api',
    });
    // The whole range on one basis: one row per currency, the day's realized PnL in it.
    const byBasis = await run(TRADES_SQL.realizedByBasis, variables);
    expect(byBasis.map((r) => [r.Basis, r.Currency])).toEqual([
      ['api', 'EUR'],
      ['api', 'USD'],
    ]);
    expect(byBasis.find((r) => r.Currency === 'USD')).toMatchObject({ Realized: '248' });
  });
});
