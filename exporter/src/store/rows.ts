// Row plumbing shared by the SQLite and PostgreSQL stores: NULL is the domain's "absent" (undefined).
import { withFlexReports } from '../domain/ledger.js';
import type { CommissionRecord, ContractInfo, MoneyTotals, PnlSource } from '../domain/types.js';
import type { RoundTripFill, StoredPosition } from './store.js';

export type Row = Record<string, unknown>;

export const opt = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value);
export const nul = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

/** A contract from the columns of `contracts` (joined into the row). */
export function contractFromRow(row: Row): ContractInfo {
  return {
    conId: row.con_id as number,
    symbol: row.symbol as string,
    secType: row.sec_type as string,
    currency: row.currency as string,
    exchange: opt(row.exchange as string | null),
    localSymbol: opt(row.local_symbol as string | null),
    multiplier: row.multiplier as number,
    lastTradeDate: opt(row.last_trade_date as string | null),
    strike: opt(row.strike as number | null),
    right: opt(row.right as 'C' | 'P' | null),
  };
}

/** Realized PnL, commissions and report counts of a totals row (ledger, round trip or day). */
export function totalsFromRow(row: Row): MoneyTotals {
  return withFlexReports(
    {
      currency: row.currency as string,
      realizedPnl: row.realized_pnl as string,
      commissions: row.commissions as string,
      reports: row.reports as number,
    },
    (row.flex_reports as number | null | undefined) ?? 0,
  );
}

/** A source column: 'flex', or absent for the API (as on the domain's records). */
export const sourceFromColumn = (value: unknown): PnlSource | undefined =>
  value === 'flex' ? 'flex' : undefined;

/** A stored position from `positions` joined with its contract. */
export function storedPositionFromRow(row: Row): StoredPosition {
  const pnlUpdatedAt = opt(row.pnl_updated_at as number | null);
  return {
    position: {
      account: row.account as string,
      contract: contractFromRow(row),
      quantity: row.quantity as number,
      avgCost: opt(row.avg_cost as number | null),
      updatedAt: row.updated_at as number,
    },
    pnl:
      pnlUpdatedAt === undefined
        ? undefined
        : {
            dailyPnl: opt(row.daily_pnl as number | null),
            unrealizedPnl: opt(row.unrealized_pnl as number | null),
            realizedPnl: opt(row.realized_pnl as number | null),
            marketValue: opt(row.market_value as number | null),
            updatedAt: pnlUpdatedAt,
          },
    lastSnapshotAt: opt(row.last_snapshot_at as number | null),
  };
}

/** One fill of a round trip: `part` is the quantity in this trip, money as decimal text. */
export function tripFillFromRow(row: Row): RoundTripFill {
  return {
    execId: row.exec_id as string,
    side: row.side as 'buy' | 'sell',
    quantity: row.part as string,
    shares: row.shares as number,
    price: row.price as number,
    time: row.time_ms as number,
    money: row.money === 1,
    commission: opt(row.commission as string | null),
    commissionCurrency: opt(row.commission_currency as string | null),
    realizedPnl: opt(row.realized_pnl as string | null),
    source: sourceFromColumn(row.source),
    reportSource: sourceFromColumn(row.report_source),
  };
}

/** A commission_reports row (money as decimal text). */
export const reportFromRow = (row: Row): CommissionRecord => ({
  execId: row.exec_id as string,
  baseExecId: row.base_exec_id as string,
  revision: row.revision as number,
  commission: opt(row.commission as string | null),
  currency: opt(row.currency as string | null),
  realizedPnl: opt(row.realized_pnl as string | null),
  source: sourceFromColumn(row.source),
});

/** The commission report joined to an execution row (its columns named report_*). */
export function joinedReportFromRow(row: Row): CommissionRecord {
  return {
    execId: row.report_exec_id as string,
    baseExecId: row.base_exec_id as string,
    revision: row.report_revision as number,
    commission: opt(row.commission as string | null),
    currency: opt(row.report_currency as string | null),
    realizedPnl: opt(row.realized_pnl as string | null),
    source: sourceFromColumn(row.report_source),
  };
}
