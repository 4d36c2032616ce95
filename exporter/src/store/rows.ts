// Row plumbing shared by the SQLite stores: SQLite's NULL is the domain's "absent" (undefined).
import type { ContractInfo, MoneyTotals } from '../domain/types.js';

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

/** Realized PnL, commissions and report count of a totals row (ledger, round trip or day). */
export function totalsFromRow(row: Row): MoneyTotals {
  return {
    currency: row.currency as string,
    realizedPnl: row.realized_pnl as string,
    commissions: row.commissions as string,
    reports: row.reports as number,
  };
}
