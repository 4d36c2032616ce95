// The one statement that writes ledger totals rows into PostgreSQL, for the fill groups, the Flex
// import and the ledger copy alike: a row already there takes the new sums.
import type pg from 'pg';
import type { LedgerTotals } from '../domain/types.js';

export async function upsertLedgerTotals(
  client: pg.ClientBase,
  rows: readonly LedgerTotals[],
): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO ledger_totals (account, con_id, currency, realized_pnl, commissions, reports, flex_reports)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::numeric[], $5::numeric[], $6::int[], $7::int[])
     ON CONFLICT (account, con_id, currency) DO UPDATE SET realized_pnl = excluded.realized_pnl,
       commissions = excluded.commissions, reports = excluded.reports, flex_reports = excluded.flex_reports`,
    [
      rows.map((t) => t.account),
      rows.map((t) => t.conId),
      rows.map((t) => t.currency),
      rows.map((t) => t.realizedPnl),
      rows.map((t) => t.commissions),
      rows.map((t) => t.reports),
      rows.map((t) => t.flexReports ?? 0),
    ],
  );
}
