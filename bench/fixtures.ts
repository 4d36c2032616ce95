// Synthetic books for the benchmarks: N positions across 3 accounts, as a simulator scenario, as
// in-memory exporter state, or as a ledger database with a million stored executions.
import Database from 'better-sqlite3';
import type { Portfolio } from '../exporter/src/domain/portfolio.js';
import { ACCOUNT_SUMMARY_TAGS } from '../exporter/src/domain/types.js';
import type { ContractInfo } from '../exporter/src/domain/types.js';
import { parseScenario } from '../exporter/src/sim/scenario.js';
import type { Scenario, ScenarioInput } from '../exporter/src/sim/scenario.js';
import { SqliteStore } from '../exporter/src/store/sqlite-store.js';

export const ACCOUNTS = ['DU0000001', 'DU0000002', 'DU0000003'];
export const FIRST_CON_ID = 100_001;

/** Position j: account j mod 3, its own contract; every tenth contract is quoted in EUR. */
export function contractOf(j: number): ContractInfo {
  return {
    conId: FIRST_CON_ID + j,
    symbol: `SYM${j}`,
    secType: 'STK',
    currency: j % 10 === 9 ? 'EUR' : 'USD',
    multiplier: 1,
  };
}

export const accountOf = (j: number): string => ACCOUNTS[j % ACCOUNTS.length]!;

export const SUMMARY = Object.fromEntries(ACCOUNT_SUMMARY_TAGS.map((tag, i) => [tag, 1_000_000 + i * 1000]));

/** IB-style execId: the part before the last dot is the fill, the suffix its revision. */
export const execIdOf = (k: number, prefix = '0000a1b2'): string =>
  `${prefix}.${k.toString(16).padStart(8, '0')}.01.01`;

/**
 * A gateway holding `positions` positions (with PnL) and `executions` of today's fills with their
 * commission reports (1 USD each; every second fill closes and realizes 2.5 USD).
 */
export function scenarioOf(options: { positions: number; executions?: number }): Scenario {
  const { positions, executions = 0 } = options;
  const start = Date.now() - 3_600_000;
  const input: ScenarioInput = {
    description: `bench: ${positions} positions, ${executions} executions`,
    accounts: ACCOUNTS.map((id) => ({
      id,
      baseCurrency: 'USD',
      summary: SUMMARY,
      pnl: { daily: 10, unrealized: 20, realized: 0 },
    })),
    contracts: Array.from({ length: positions }, (_, j) => {
      const c = contractOf(j);
      return { conId: c.conId, symbol: c.symbol, secType: c.secType, currency: c.currency };
    }),
    positions: Array.from({ length: positions }, (_, j) => ({
      account: accountOf(j),
      conId: FIRST_CON_ID + j,
      quantity: 100 + j,
      avgCost: 50,
      pnl: { daily: 1 + j, unrealized: 2 + j, realized: 0, marketValue: 5000 + j },
    })),
    executions: Array.from({ length: executions }, (_, k) => {
      const j = k % positions;
      const closing = k % 2 === 1;
      return {
        execId: execIdOf(k),
        account: accountOf(j),
        conId: FIRST_CON_ID + j,
        time: new Date(start + k).toISOString(),
        side: closing ? ('SLD' as const) : ('BOT' as const),
        shares: 10,
        price: 100,
        commission: { commission: 1, currency: 'USD', realizedPnl: closing ? 2.5 : null },
      };
    }),
  };
  return parseScenario(input, 'bench scenario');
}

/** Fills the exporter's in-memory state as a synced gateway would: `positions` positions with PnL and ledger totals. */
export function fillPortfolio(portfolio: Portfolio, positions: number): void {
  const now = Date.now();
  for (const account of ACCOUNTS) {
    for (const [tag, value] of Object.entries(SUMMARY))
      portfolio.setAccountValue({ account, tag, currency: 'USD', value, updatedAt: now });
    portfolio.setAccountPnl({ account, dailyPnl: 10, unrealizedPnl: 20, realizedPnl: 0, updatedAt: now });
    portfolio.setExecutionCount(account, 1000);
  }
  for (let j = 0; j < positions; j++) {
    const account = accountOf(j);
    const contract = contractOf(j);
    portfolio.setPosition({ account, contract, quantity: 100 + j, avgCost: 50.25, updatedAt: now });
    portfolio.setPositionPnl(account, contract.conId, {
      dailyPnl: 1.5 + j,
      unrealizedPnl: 2.5 + j,
      realizedPnl: 0,
      marketValue: 5000.75 + j,
      updatedAt: now,
    });
    portfolio.applyLedger([
      { account, conId: contract.conId, currency: 'USD', realizedPnl: '12.5', commissions: '2', reports: 2 },
    ]);
  }
}

/**
 * A ledger as years of use leave it: `executions` stored fills with their commission reports,
 * spread over `positions` open positions, with the running totals the store keeps. Written with
 * bulk SQL in one transaction on the schema the migrations create (SqliteStore runs them first).
 */
export function buildLedgerDb(path: string, options: { executions: number; positions: number }): void {
  new SqliteStore({ path }).close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  const { executions, positions } = options;
  const now = Date.now();
  const accounts = ACCOUNTS.length;
  db.transaction(() => {
    const seq = (n: number) =>
      `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${n - 1})`;
    // Position j: account j mod 3, contract FIRST_CON_ID + j (as contractOf, all in USD here).
    db.exec(`${seq(positions)}
      INSERT INTO contracts (con_id, symbol, sec_type, currency, multiplier)
      SELECT ${FIRST_CON_ID} + i, 'SYM' || i, 'STK', 'USD', 1 FROM seq`);
    db.exec(`${seq(positions)}
      INSERT INTO positions (account, con_id, quantity, avg_cost, updated_at, daily_pnl, unrealized_pnl,
        realized_pnl, market_value, pnl_updated_at)
      SELECT 'DU000000' || (i % ${accounts} + 1), ${FIRST_CON_ID} + i, 100 + i, 50.25, ${now}, 1.5 + i, 2.5 + i, 0,
        5000.75 + i, ${now} FROM seq`);
    const value = db.prepare(
      `INSERT INTO account_values (account, tag, currency, value, updated_at) VALUES (?, ?, 'USD', ?, ?)`,
    );
    const pnl = db.prepare(
      `INSERT INTO account_pnl (account, daily_pnl, unrealized_pnl, realized_pnl, updated_at) VALUES (?, 10, 20, 0, ?)`,
    );
    for (const account of ACCOUNTS) {
      for (const [tag, v] of Object.entries(SUMMARY)) value.run(account, tag, v, now);
      pnl.run(account, now);
    }
    if (executions === 0) {
      // Running totals as if there were history, so this book has exactly the series of one that has.
      db.exec(`INSERT INTO ledger_totals (account, con_id, currency, realized_pnl, commissions, reports)
        SELECT account, con_id, 'USD', '125.00', '125.00', 100 FROM positions`);
      return;
    }
    // Fill k belongs to position k mod positions; odd fills close and realize 2.5.
    db.exec(`${seq(executions)}
      INSERT INTO executions (base_exec_id, exec_id, revision, account, con_id, side, shares, price, time_ms)
      SELECT printf('0000a1b2.%08x.01', i), printf('0000a1b2.%08x.01.01', i), 1,
        'DU000000' || ((i % ${positions}) % ${accounts} + 1), ${FIRST_CON_ID} + i % ${positions},
        CASE i % 2 WHEN 0 THEN 'buy' ELSE 'sell' END, 10, 100, ${now - executions * 60_000} + i * 60000 FROM seq`);
    db.exec(`${seq(executions)}
      INSERT INTO commission_reports (base_exec_id, exec_id, revision, commission, currency, realized_pnl)
      SELECT printf('0000a1b2.%08x.01', i), printf('0000a1b2.%08x.01.01', i), 1, '1.25', 'USD',
        CASE i % 2 WHEN 0 THEN NULL ELSE '2.5' END FROM seq`);
    db.exec(`INSERT INTO ledger_totals (account, con_id, currency, realized_pnl, commissions, reports)
      SELECT e.account, e.con_id, 'USD', printf('%.2f', total(CAST(r.realized_pnl AS REAL))),
        printf('%.2f', total(CAST(r.commission AS REAL))), count(*)
      FROM executions e JOIN commission_reports r USING (base_exec_id) GROUP BY e.account, e.con_id`);
    db.exec(`INSERT INTO account_executions (account, executions)
      SELECT account, count(*) FROM executions GROUP BY account`);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}
