// The start-up benchmark's ledger on PostgreSQL: the same book as buildLedgerDb (fixtures.ts)
// writes to SQLite, `executions` stored fills with their commission reports over `positions`
// open positions and the running totals the store keeps, written with INSERT … SELECT over
// generate_series on the schema the exporter's own migrations create. One row at a time (or the
// `npm run ledger -- copy` path) takes minutes for a million fills; this takes seconds.
import pg from 'pg';
import { PostgresStore } from '../exporter/src/store/postgres-store.js';
import { ACCOUNTS, SUMMARY, FIRST_CON_ID } from './fixtures.js';

export async function buildPostgresLedger(
  url: string,
  options: { executions: number; positions: number },
): Promise<void> {
  const store = new PostgresStore({ url, redacted: 'bench ledger' });
  await store.open();
  await store.close();
  const { executions, positions } = options;
  const now = Date.now();
  const accounts = ACCOUNTS.length;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    // Position j: account j mod 3, contract FIRST_CON_ID + j (as contractOf, all in USD here).
    await client.query(`INSERT INTO contracts (con_id, symbol, sec_type, currency, multiplier)
      SELECT ${FIRST_CON_ID} + i, 'SYM' || i, 'STK', 'USD', 1 FROM generate_series(0, ${positions - 1}) i`);
    await client.query(`INSERT INTO positions (account, con_id, quantity, avg_cost, updated_at, daily_pnl,
        unrealized_pnl, realized_pnl, market_value, pnl_updated_at)
      SELECT 'DU000000' || (i % ${accounts} + 1), ${FIRST_CON_ID} + i, 100 + i, 50.25, ${now}, 1.5 + i, 2.5 + i, 0,
        5000.75 + i, ${now} FROM generate_series(0, ${positions - 1}) i`);
    await client.query(
      `INSERT INTO account_values (account, tag, currency, value, updated_at)
       SELECT a, t.tag, 'USD', t.value::double precision, $3 FROM unnest($1::text[]) a,
         jsonb_each_text($2::jsonb) AS t(tag, value)`,
      [ACCOUNTS, JSON.stringify(SUMMARY), now],
    );
    await client.query(
      `INSERT INTO account_pnl (account, daily_pnl, unrealized_pnl, realized_pnl, updated_at)
       SELECT a, 10, 20, 0, $2 FROM unnest($1::text[]) a`,
      [ACCOUNTS, now],
    );
    // Fill k belongs to position k mod positions; odd fills close and realize 2.5.
    await client.query(`INSERT INTO executions (base_exec_id, exec_id, revision, account, con_id, side, shares,
        price, time_ms)
      SELECT '0000a1b2.' || lpad(to_hex(i), 8, '0') || '.01', '0000a1b2.' || lpad(to_hex(i), 8, '0') || '.01.01', 1,
        'DU000000' || ((i % ${positions}) % ${accounts} + 1), ${FIRST_CON_ID} + i % ${positions},
        CASE i % 2 WHEN 0 THEN 'buy' ELSE 'sell' END, 10, 100, ${now - executions * 60_000}::bigint + i * 60000
      FROM generate_series(0::bigint, ${executions - 1}) i`);
    await client.query(`INSERT INTO commission_reports (base_exec_id, exec_id, revision, commission, currency,
        realized_pnl)
      SELECT '0000a1b2.' || lpad(to_hex(i), 8, '0') || '.01', '0000a1b2.' || lpad(to_hex(i), 8, '0') || '.01.01', 1,
        1.25, 'USD', CASE i % 2 WHEN 0 THEN NULL ELSE 2.5 END FROM generate_series(0::bigint, ${executions - 1}) i`);
    if (executions === 0) {
      await client.query(`INSERT INTO ledger_totals (account, con_id, currency, realized_pnl, commissions, reports)
        SELECT account, con_id, 'USD', 125.00, 125.00, 100 FROM positions`);
    } else {
      await client.query(`INSERT INTO ledger_totals (account, con_id, currency, realized_pnl, commissions, reports)
        SELECT e.account, e.con_id, 'USD', coalesce(sum(r.realized_pnl), 0), sum(r.commission), count(*)
        FROM executions e JOIN commission_reports r USING (base_exec_id) GROUP BY e.account, e.con_id`);
      await client.query(`INSERT INTO account_executions (account, executions)
        SELECT account, count(*) FROM executions GROUP BY account`);
    }
    await client.query('COMMIT');
    // Fresh statistics, as autovacuum would have left them on a ledger that grew over years.
    await client.query('VACUUM ANALYZE');
  } finally {
    await client.end();
  }
}
