// JSON shapes of the read endpoints. Money is a JSON number: IB's own floats as they are, the
// ledger's exact decimals converted only here (money.ts), with the exact text kept in the `ledger`
// lists; anything not known is null, never a 0 that was not.
import type { Health } from '../domain/health.js';
import { basisOf, sourceOf } from '../domain/basis.js';
import { addDecimal, toDecimal } from '../domain/money.js';
import type { Portfolio } from '../domain/portfolio.js';
import type { Decimal, MoneyTotals } from '../domain/types.js';
import type { TradeRow } from '../store/store.js';
import { pnlSourceOf, tripMoney } from './history-views.js';
import { moneyNumber } from './money.js';
import type { SyncRun } from '../sync/sync-control.js';
import { HttpError } from './http-error.js';

const n = <T>(value: T | undefined): T | null => (value === undefined ? null : value);
const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** realized + unrealized, exactly, when both are known and in the same currency; else null. */
function total(
  realized: { currency: string; value: Decimal } | undefined,
  unrealized: number | undefined,
  currency: string,
) {
  if (realized === undefined || unrealized === undefined || realized.currency !== currency) return null;
  return Number(addDecimal(realized.value, toDecimal(unrealized)));
}

/**
 * A ledger's realized PnL and its basis when it is known in one currency: rows with commission
 * reports, all in the same currency. No report at all (every fill taken back) is unknown.
 */
function realizedOf(rows: MoneyTotals[]) {
  const known = rows.filter((row) => row.reports > 0);
  if (known.length !== 1) return undefined;
  return { currency: known[0]!.currency, value: known[0]!.realizedPnl, basis: basisOf(known[0]!) };
}

/** The fields of the tracker's GET /sync/status, shared with /sync/health. */
export function syncStatusView(health: Health, sync: SyncRun) {
  const lastUpdate = Math.max(...health.streams.values());
  return {
    running: sync.running,
    connected: health.gatewayUp,
    started_at: iso(sync.startedAt),
    last_connected_at: iso(health.lastConnectedAt),
    last_disconnected_at: iso(health.lastDisconnectedAt),
    last_update: iso(Number.isFinite(lastUpdate) ? lastUpdate : undefined),
    error: health.lastError ?? null,
  };
}

/** Accounts the portfolio knows anything about, sorted. */
export function knownAccounts(portfolio: Portfolio): string[] {
  return [
    ...new Set<string>([
      ...portfolio.accountPnl.keys(),
      ...[...portfolio.accountValues.values()].map((v) => v.account),
      ...[...portfolio.accountLedger.values()].map((l) => l.account),
      ...[...portfolio.positions.values()].map((v) => v.position.account),
    ]),
  ].sort();
}

/** An `account` query parameter must name an account the exporter knows. */
export function checkAccount(portfolio: Portfolio, account: string | undefined): void {
  if (account !== undefined && !knownAccounts(portfolio).includes(account)) {
    throw new HttpError(404, `no account ${account}`);
  }
}

export function positionsView(portfolio: Portfolio, baseCurrency: string, account?: string) {
  const views = [...portfolio.positions.values()].filter(
    (v) => account === undefined || v.position.account === account,
  );
  return views.map(({ position, pnl }) => {
    const { contract } = position;
    // Realized PnL and commissions of the current round trip, as the per-position metrics.
    const trip = portfolio.roundTripOf(position.account, contract.conId);
    const tripTotals = tripMoney(trip, contract.currency);
    const { ledger } = tripTotals;
    const realized =
      tripTotals.realized_pnl === null
        ? undefined
        : { currency: tripTotals.currency, value: tripTotals.realized_pnl };
    const pnlCurrency = portfolio.baseCurrency(position.account, baseCurrency);
    return {
      id: trip?.id ?? null,
      open_time: trip?.openTime === undefined ? null : new Date(trip.openTime).toISOString(),
      opened_before_ledger: trip?.openedBeforeLedger ?? null,
      account: position.account,
      con_id: contract.conId,
      symbol: contract.symbol,
      sec_type: contract.secType,
      currency: contract.currency,
      local_symbol: n(contract.localSymbol),
      multiplier: contract.multiplier,
      quantity: position.quantity,
      average_cost: n(position.avgCost),
      qty: position.quantity,
      avg_cost: n(position.avgCost),
      realized_pnl: moneyNumber(realized?.value),
      realized_pnl_currency: n(realized?.currency),
      realized_pnl_basis: tripTotals.basis,
      total_pnl: total(realized, pnl?.unrealizedPnl, pnlCurrency),
      pnl_currency: pnlCurrency,
      market_value: n(pnl?.marketValue),
      unrealized_pnl: n(pnl?.unrealizedPnl),
      daily_pnl: n(pnl?.dailyPnl),
      ledger,
      updated_at: new Date(position.updatedAt).toISOString(),
    };
  });
}

export function tradesView(rows: TradeRow[]) {
  return rows.map((row) => ({
    exec_id: row.execId,
    account: row.account,
    con_id: row.contract.conId,
    symbol: row.contract.symbol,
    sec_type: row.contract.secType,
    currency: row.contract.currency,
    exchange: n(row.venue ?? row.contract.exchange),
    side: row.side,
    shares: row.shares,
    qty: row.shares,
    price: row.price,
    time: new Date(row.time).toISOString(),
    trade_time: new Date(row.time).toISOString(),
    order_id: n(row.orderId),
    perm_id: n(row.permId),
    commission: moneyNumber(row.commission),
    commission_currency: n(row.commissionCurrency),
    realized_pnl: moneyNumber(row.realizedPnl),
    source: sourceOf(row),
    pnl_source: pnlSourceOf(row),
  }));
}

/**
 * The tracker's summary of one account (the one asked for, or the only one) beside this exporter's
 * per-account detail. realized_pnl is the ledger's (all fills stored, net of commission) in the
 * base currency; unrealized_pnl is IB's reqPnL; with several accounts and none asked for, the
 * account fields are null.
 */
export function pnlSummary(portfolio: Portfolio, baseCurrency: string, account?: string) {
  const all = knownAccounts(portfolio);
  const chosen = account ?? (all.length === 1 ? all[0] : undefined);
  const base = chosen === undefined ? null : portfolio.baseCurrency(chosen, baseCurrency);
  const pnl = chosen === undefined ? undefined : portfolio.accountPnl.get(chosen);
  const ledger = [...portfolio.accountLedger.values()].filter((l) => l.account === chosen);
  const realized = realizedOf(ledger);
  const realizedInBase = realized?.currency === base ? realized : undefined;
  return {
    account_id: n(chosen),
    base_currency: base,
    realized_pnl: moneyNumber(realizedInBase?.value),
    realized_pnl_basis: n(realizedInBase?.basis),
    unrealized_pnl: n(pnl?.unrealizedPnl),
    total_pnl: base === null ? null : total(realizedInBase, pnl?.unrealizedPnl, base),
    as_of: iso(pnl?.updatedAt),
    ...accountDetail(portfolio, baseCurrency, account === undefined ? all : [account]),
  };
}

function accountDetail(portfolio: Portfolio, baseCurrency: string, accounts: string[]) {
  return {
    accounts: accounts.map((account) => {
      const pnl = portfolio.accountPnl.get(account);
      return {
        account,
        currency: portfolio.baseCurrency(account, baseCurrency),
        daily_pnl: n(pnl?.dailyPnl),
        unrealized_pnl: n(pnl?.unrealizedPnl),
        realized_pnl: n(pnl?.realizedPnl),
        values: [...portfolio.accountValues.values()]
          .filter((v) => v.account === account)
          .map((v) => ({ tag: v.tag, currency: v.currency, value: v.value })),
        ledger: [...portfolio.accountLedger.values()]
          .filter((l) => l.account === account)
          .map((l) => ({
            currency: l.currency,
            realized_pnl: l.realizedPnl,
            commissions: l.commissions,
            basis: n(basisOf(l)),
          })),
        executions: portfolio.executionCounts.get(account) ?? 0,
      };
    }),
  };
}

/**
 * The message of WS /ws/updates: the answers of /pnl/summary, /positions and the closed round trips
 * (`history`, from the source given: the round-trip ledger once it exists).
 */
export async function updatesMessage(
  portfolio: Portfolio,
  baseCurrency: string,
  history: () => unknown[] | Promise<unknown[]>,
): Promise<string> {
  const closed = await history();
  return JSON.stringify({
    summary: pnlSummary(portfolio, baseCurrency),
    positions: positionsView(portfolio, baseCurrency),
    history: closed,
  });
}
